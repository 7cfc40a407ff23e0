import { newId } from '../shared/ids.ts';
import { TooManyRequestsError } from '../shared/problem.ts';
import type { ScanKind } from '../model/enums.ts';
import { MAX_OPEN_SCANS } from '../domain/open-scans.ts';
import { inbox, type ServerItem } from '../store/servers.ts';
import { scans, type ScanItem } from '../store/scans.ts';

/** The server's open scans (its inbox entries) when the request came, and when to try again if full. */
export interface OpenScans {
  count: number;
  /** The server's agent empties its inbox at its next check-in: the tenant's check-in interval. */
  retryAfterSeconds: number;
}

/**
 * Requests a scan of one server: the scan item, then the entry in the server's inbox that its agent
 * reads at check-in. Answers undefined when the server is not active; a 429 when the server already
 * holds MAX_OPEN_SCANS open scans (docs/security.md: nothing can grow an inbox without end). `scanId`
 * lets callers pass a deterministic id: a repeated request with the same id (a retried message)
 * creates nothing and answers undefined, but first finishes what a crashed attempt left undone (the
 * inbox entry of a pending scan).
 */
export async function requestScan(tenantId: string, server: ServerItem, kind: ScanKind, now: Date, open: OpenScans, scanId = newId('scn', now)): Promise<ScanItem | undefined> {
  if (server.state !== 'active') return undefined;
  if (open.count >= MAX_OPEN_SCANS) {
    throw new TooManyRequestsError(
      `The server already has ${open.count} open scans (at most ${MAX_OPEN_SCANS}); its agent runs them at its next check-in, after which new scans can be requested.`,
      open.retryAfterSeconds,
    );
  }
  const scan: ScanItem = { id: scanId, serverId: server.id, kind, status: 'pending', requestedAt: now.toISOString() };
  const created = await scans.create(tenantId, scan);
  const current = created ? scan : await scans.get(tenantId, scanId, { consistent: true });
  // Only a scan still `pending` can lack its inbox entry: an agent moves a scan on only after reading
  // it from the inbox, and the entry is removed only after the scan left `pending`.
  if (current?.status !== 'pending' || current.serverId !== server.id) return undefined;
  await inbox.put(tenantId, { serverId: server.id, scanId, kind: current.kind, requestedAt: current.requestedAt });
  return created ? scan : undefined;
}
