import { newId } from '../shared/ids.ts';
import type { ScanKind } from '../contract/agent.schemas.ts';
import { addPendingScan } from './servers.ts';
import { finishScan, getScan, putScan, type ScanItem } from './scans.ts';

/**
 * Requests a scan of one server: the scan item first, then the entry in the server's inbox that its
 * agent reads at check-in. If the server vanished or was deactivated in between, the scan is marked
 * failed rather than left pending forever. `scanId` lets the scheduler pass a deterministic id; a
 * repeated request with the same id (a retried message) creates nothing and answers undefined, but
 * first finishes what a crashed attempt left undone (the inbox entry).
 */
export async function requestScan(tenantId: string, serverId: string, kind: ScanKind, now: Date, scanId = newId('scn', now)): Promise<ScanItem | undefined> {
  let scan: ScanItem = { id: scanId, serverId, kind, status: 'pending', requestedAt: now.toISOString() };
  let created = true;
  try {
    await putScan(tenantId, scan);
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    // Only a scan still `pending` can lack its inbox entry: an agent moves a scan on only after reading
    // it from the inbox, and the entry is removed only after the scan left `pending`.
    const existing = await getScan(tenantId, scanId);
    if (existing?.status !== 'pending' || existing.serverId !== serverId) return undefined;
    scan = existing;
    created = false;
  }
  if (!(await addPendingScan(tenantId, serverId, scan.id, { kind: scan.kind, requestedAt: scan.requestedAt }))) {
    await finishScan(tenantId, scan.id, { status: 'failed', error: 'server is deactivated' }, now);
    return undefined;
  }
  return created ? scan : undefined;
}
