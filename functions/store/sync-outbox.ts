import { syncKeys } from './keys.ts';
import { batchGet, batchPut, batchWrite } from './batch.ts';
import { deleteItem, getItem, ifNew, putItem, queryAll, queryCount, queryPage, updateItem, withoutKeys, type Item } from './db.ts';
import { TTL_ATTRIBUTE } from './table.ts';

/**
 * A destination's outbox: one item per label application (label record) it is owed, written once ever
 * (a conditional create, so no retry, race or lagging index can owe it twice), in the owed index (gsi1) until
 * the destination acknowledges it; then kept a week, out of the index, as the proof that it was delivered.
 * And the one batch in flight: its webhook-id and the records it carries, so every retry of it is the same
 * delivery to the receiver.
 */
export interface OutboxItem {
  recordId: string;
  eventId: string;
  labelId: string;
  /** The application this item reports: the event's label entry must still have this appliedAt. */
  appliedAt: string;
  createdAt: string;
  /** Set once acknowledged (or skipped because the event or its label is gone). */
  doneAt?: string;
  outcome?: 'delivered' | 'skipped';
}

export interface OpenBatch {
  /** The Standard Webhooks `webhook-id` of every attempt of this batch. */
  id: string;
  recordIds: string[];
  createdAt: string;
  attempts: number;
}

/** How long a delivered item is kept (a retry after a crash finds it and does not owe it again). */
const DONE_KEPT_SECONDS = 7 * 86_400;
const IN_FLIGHT = 16;

/** Owes each record to the destination, once ever; answers how many were new. */
export async function oweRecords(tenantId: string, destinationId: string, items: readonly OutboxItem[]): Promise<number> {
  let added = 0;
  for (let i = 0; i < items.length; i += IN_FLIGHT) {
    const results = await Promise.all(
      items.slice(i, i + IN_FLIGHT).map((item) =>
        putItem({ ...syncKeys.outboxItem(tenantId, destinationId, item.recordId), ...syncKeys.owedIndex(tenantId, destinationId, item.recordId), ...item }, ifNew),
      ),
    );
    added += results.filter(Boolean).length;
  }
  return added;
}

/** The oldest items owed to the destination, up to `limit`, each confirmed owed in the table (the index lags). */
export async function owedItems(tenantId: string, destinationId: string, limit: number): Promise<OutboxItem[]> {
  const listed = await queryPage<Item>(syncKeys.owed(tenantId, destinationId), { limit });
  return outboxItems(tenantId, destinationId, listed.items.map((item) => String(item.recordId)));
}

/** The items of these records that are still owed, in the order asked, read consistently. */
export async function outboxItems(tenantId: string, destinationId: string, recordIds: readonly string[]): Promise<OutboxItem[]> {
  const found = new Map(
    (await batchGet<Item>(recordIds.map((id) => syncKeys.outboxItem(tenantId, destinationId, id)), { consistent: true }))
      .filter((item) => item.gsi1pk !== undefined)
      .map((item) => [String(item.recordId), withoutKeys<OutboxItem>(item)]),
  );
  return recordIds.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
}

/** Items acknowledged (or skipped): out of the owed index, kept a week as proof. */
export async function markDone(tenantId: string, destinationId: string, items: readonly OutboxItem[], outcome: 'delivered' | 'skipped', now: Date): Promise<void> {
  if (items.length === 0) return;
  const expiresAt = Math.floor(now.getTime() / 1000) + DONE_KEPT_SECONDS;
  await batchPut(items.map((item) => ({ ...syncKeys.outboxItem(tenantId, destinationId, item.recordId), ...item, doneAt: now.toISOString(), outcome, [TTL_ATTRIBUTE]: expiresAt })));
}

/** How many items the destination is owed (a COUNT over its owed index). */
export const countOwed = (tenantId: string, destinationId: string): Promise<number> => queryCount(syncKeys.owed(tenantId, destinationId));

export async function getOpenBatch(tenantId: string, destinationId: string): Promise<OpenBatch | undefined> {
  const item = await getItem<Item>(syncKeys.openBatch(tenantId, destinationId), true);
  return item ? withoutKeys<OpenBatch>(item) : undefined;
}

/** Opens a batch unless one is open (another run got there first: false). */
export const openBatch = (tenantId: string, destinationId: string, batch: OpenBatch): Promise<boolean> =>
  putItem({ ...syncKeys.openBatch(tenantId, destinationId), ...batch }, ifNew);

/** Changes the open batch `id` (fewer records, one more attempt). */
export async function updateOpenBatch(tenantId: string, destinationId: string, id: string, changes: { recordIds?: string[]; attempts?: number }): Promise<void> {
  await updateItem(syncKeys.openBatch(tenantId, destinationId), { set: changes }, { expression: '#id = :id', names: { '#id': 'id' }, values: { ':id': id } });
}

/** Closes batch `id` once its records are marked done. */
export async function closeBatch(tenantId: string, destinationId: string, id: string): Promise<void> {
  await deleteItem(syncKeys.openBatch(tenantId, destinationId), { expression: '#id = :id', names: { '#id': 'id' }, values: { ':id': id } });
}

/** Deletes a destination's outbox (its owed and delivered items and open batch), after the destination itself. */
export async function deleteOutbox(tenantId: string, destinationId: string): Promise<void> {
  const items = await queryAll<Item>({ pk: syncKeys.outboxPartition(tenantId, destinationId) });
  await batchWrite(items.map((item) => ({ DeleteRequest: { Key: { pk: String(item.pk), sk: String(item.sk) } } })));
}
