import { deterministicId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import type { ServerItem } from '../store/servers.ts';
import { inbox, listServers } from '../store/servers.ts';
import { scans, type ScanItem } from '../store/scans.ts';
import { groups } from '../store/groups.ts';
import { batchPut } from '../store/batch.ts';

export interface DispatchInput {
  tenantId: string;
  groupId: string;
  /** ISO time of the schedule slot (scheduled) or of the request (on-demand group scan). */
  slot: string;
  kind?: 'scheduled' | 'on-demand';
}

/** The id of a group scan of one server: the same for the API's answer and every delivery of the message. */
export function groupScanId(input: DispatchInput, serverId: string): string {
  const kind = input.kind ?? 'scheduled';
  const seed = kind === 'scheduled' ? `${input.groupId}\n${input.slot}\n${serverId}` : `${input.groupId}\n${kind}\n${input.slot}\n${serverId}`;
  return deterministicId('scn', new Date(input.slot), seed);
}

/**
 * Creates the pending scan of every active server of a group for one slot, with batched writes (a scan
 * item and an inbox entry per server). Scan ids derive from (group, kind, slot, server), so a redelivered
 * message creates nothing new: scans that exist are left as they are (a pending one gets its inbox entry
 * again, which is harmless). For scheduled scans the group's lastScheduledSlot is moved last, with a
 * condition, so two ticks never dispatch one slot twice. Answers how many scans it created.
 */
export async function dispatchScans(input: DispatchInput): Promise<number> {
  const { tenantId, groupId, slot } = input;
  const kind = input.kind ?? 'scheduled';
  const requestedAt = new Date(slot).toISOString();
  let created = 0;
  let cursor: string | undefined;
  do {
    const page = await listServers(tenantId, { limit: 500, cursor }, groupId);
    const active = page.items.filter((s: ServerItem) => s.state === 'active');
    const wanted = active.map((server) => ({ server, id: groupScanId(input, server.id) }));
    const existing = new Map((await scans.getMany(tenantId, wanted.map((w) => w.id))).map((s) => [s.id, s]));
    const fresh = wanted.filter((w) => !existing.has(w.id));
    const items = fresh.map(({ server, id }): ScanItem => ({ id, serverId: server.id, kind, status: 'pending', requestedAt }));
    const stillPending = wanted.filter((w) => existing.get(w.id)?.status === 'pending');
    // Scans first, then inbox entries: an agent never sees an inbox entry whose scan is missing.
    await batchPut(items.map((scan) => scans.item(tenantId, scan)));
    await batchPut(
      [...fresh, ...stillPending].map(({ server, id }) => inbox.item(tenantId, { serverId: server.id, scanId: id, kind, requestedAt })),
    );
    created += items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (kind === 'scheduled') {
    await groups.update(tenantId, groupId, { set: { lastScheduledSlot: slot } }, {
      expression: 'attribute_exists(pk) AND (attribute_not_exists(lastScheduledSlot) OR lastScheduledSlot < :slot)',
      values: { ':slot': slot },
    });
  }
  logger.info('scans dispatched', { tenantId, groupId, slot, kind, created });
  return created;
}
