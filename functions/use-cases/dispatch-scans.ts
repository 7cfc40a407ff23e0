import { deterministicId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import type { Page } from '../store/db.ts';
import { inbox, listServers, type ServerItem } from '../store/servers.ts';
import { scans, type ScanItem } from '../store/scans.ts';
import { finishGroupSlot, getGroup } from '../store/groups.ts';
import { batchPut } from '../store/batch.ts';

export interface DispatchInput {
  tenantId: string;
  groupId: string;
  /** ISO time of the schedule slot (scheduled) or of the request (on-demand group scan). */
  slot: string;
  kind?: 'scheduled' | 'on-demand';
}

/** Servers read per page (one Query of the group's index), and batch writes in flight while writing a page. */
const PAGE_SIZE = 500;
const WRITES_IN_FLIGHT = 16;

/** The id of a group scan of one server: the same for the API's answer and every delivery of the message. */
export function groupScanId(input: DispatchInput, serverId: string): string {
  const kind = input.kind ?? 'scheduled';
  const seed = kind === 'scheduled' ? `${input.groupId}\n${input.slot}\n${serverId}` : `${input.groupId}\n${kind}\n${input.slot}\n${serverId}`;
  return deterministicId('scn', new Date(input.slot), seed);
}

/**
 * Creates the pending scan of every active server of a group for one slot, with batched writes: per page
 * of servers, one BatchGetItem per 100 (which scans exist already), then BatchWriteItem of the new scans
 * and then of their inbox entries (one item in each server's own partition), 25 per request and
 * WRITES_IN_FLIGHT requests at once, while the next page is read. Scan ids derive from (group, kind, slot,
 * server), so a redelivered message creates nothing new: scans that exist are left as they are (a pending
 * one gets its inbox entry again, which is harmless). A scheduled slot then stops being owed by the group
 * (store/due-state.ts), last, so a crash before that leaves the slot to be sent again. Scheduled scans go
 * only to groups with a policy (as Halo scans only groups with a file integrity policy assigned).
 * Answers how many scans it created.
 */
export async function dispatchScans(input: DispatchInput): Promise<number> {
  const { tenantId, groupId, slot } = input;
  const kind = input.kind ?? 'scheduled';
  const group = await getGroup(tenantId, groupId);
  if (!group) return 0;
  let created = 0;
  if (kind === 'on-demand' || group.policyIds.length > 0) {
    let next: Promise<Page<ServerItem>> | null = listServers(tenantId, { limit: PAGE_SIZE }, groupId);
    while (next) {
      const page: Page<ServerItem> = await next;
      next = page.nextCursor ? listServers(tenantId, { limit: PAGE_SIZE, cursor: page.nextCursor }, groupId) : null;
      created += await dispatchPage(input, page.items);
    }
  }
  if (kind === 'scheduled') await finishGroupSlot(tenantId, groupId, slot);
  logger.info('scans dispatched', { tenantId, groupId, slot, kind, created });
  return created;
}

/** The scans of one page of servers: answers how many were new. */
async function dispatchPage(input: DispatchInput, servers: readonly ServerItem[]): Promise<number> {
  const { tenantId } = input;
  const kind = input.kind ?? 'scheduled';
  const requestedAt = new Date(input.slot).toISOString();
  const wanted = servers.filter((s) => s.state === 'active').map((server) => ({ server, id: groupScanId(input, server.id) }));
  if (wanted.length === 0) return 0;
  const existing = new Map((await scans.getMany(tenantId, wanted.map((w) => w.id))).map((s) => [s.id, s]));
  const fresh = wanted.filter((w) => !existing.has(w.id));
  const stillPending = wanted.filter((w) => existing.get(w.id)?.status === 'pending');
  const items = fresh.map(({ server, id }): ScanItem => ({ id, serverId: server.id, kind, status: 'pending', requestedAt }));
  // Scans first, then inbox entries: an agent never sees an inbox entry whose scan is missing.
  await batchPut(items.map((scan) => scans.item(tenantId, scan)), { parallel: WRITES_IN_FLIGHT });
  await batchPut(
    [...fresh, ...stillPending].map(({ server, id }) => inbox.item(tenantId, { serverId: server.id, scanId: id, kind, requestedAt })),
    { parallel: WRITES_IN_FLIGHT },
  );
  return items.length;
}
