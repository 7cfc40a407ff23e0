import { newId } from '../shared/ids.ts';
import type { ScanKind } from '../contract/agent.schemas.ts';
import { addPendingScan } from './servers.ts';
import { finishScan, putScan, type ScanItem } from './scans.ts';

/**
 * Requests a scan of one server: the scan item first, then the entry in the server's inbox that its
 * agent reads at check-in. If the server vanished or was deactivated in between, the scan is marked
 * failed rather than left pending forever. `scanId` lets the scheduler pass a deterministic id.
 */
export async function requestScan(tenantId: string, serverId: string, kind: ScanKind, now: Date, scanId = newId('scn', now)): Promise<ScanItem | undefined> {
  const scan: ScanItem = { id: scanId, serverId, kind, status: 'pending', requestedAt: now.toISOString() };
  try {
    await putScan(tenantId, scan);
  } catch (error) {
    // A deterministic id that already exists: this request was already made (a retried message).
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
  if (!(await addPendingScan(tenantId, serverId, scan.id, { kind, requestedAt: scan.requestedAt }))) {
    await finishScan(tenantId, scan.id, { status: 'failed', error: 'server is deactivated' }, now);
    return undefined;
  }
  return scan;
}
