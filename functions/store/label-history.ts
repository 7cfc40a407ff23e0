import type { LabelRecord } from '../model/label.ts';
import type { LabelAction } from '../model/enums.ts';
import { expiresAtOf, LABEL_HISTORY_RETENTION, visibilityAt, type LabelRetention } from '../domain/label-retention.ts';
import { triageKeys } from './keys.ts';
import { batchGet, batchPut } from './batch.ts';
import { getItem, putNew, queryPage, updateItem, withoutKeys, type Condition, type Item, type Page, type PageRequest } from './db.ts';
import { listNewestFirst, timeBound } from './newest-first.ts';
import { TTL_ATTRIBUTE } from './table.ts';

/**
 * The label history: one record per application, removal or note change, written across the tenant's
 * SHARDS partitions with time-ordered ids (by appliedAt), and indexed by policy (gsi1: weekly reports)
 * and by label (gsi2). A record of a `notify` label's application also sits in gsi3 (`NOTIFY`) until the
 * label sync has delivered it: that index is exactly "what no sync has sent yet".
 * Each record carries `expiresAt` (TTL, 30 days) and `seq`, a tenant-wide write sequence number from
 * which readers apply the 1,000,000-record cap (domain/label-retention.ts).
 */
interface StoredRecord extends LabelRecord {
  seq: number;
  [TTL_ATTRIBUTE]: number;
  /** Set by the label sync the first time it found the record's event not written yet. */
  syncWaitingSince?: string;
}

/** Allocates `count` sequence numbers with one atomic ADD; answers the last. */
async function allocateSeq(tenantId: string, count: number): Promise<number> {
  const updated = await updateItem<{ seq: number }>(triageKeys.labelRecordSeq(tenantId), { add: { seq: count } }, null);
  return updated!.seq;
}

export interface PutRecordsOptions {
  /** Which records wait for the label sync (applications of notify labels). */
  pendingSync: (record: LabelRecord) => boolean;
  /**
   * Write only records that do not exist yet (one conditional PutItem each), for a step that may have
   * written them before: rewriting a record the sync already delivered would queue it for sync again.
   * Otherwise one BatchWriteItem per 25.
   */
  onlyNew: boolean;
  retention?: LabelRetention;
}

/** Writes records (ids are deterministic: the same record written twice is one record); answers the request count. */
export async function putLabelRecords(tenantId: string, records: readonly LabelRecord[], options: PutRecordsOptions): Promise<number> {
  if (records.length === 0) return 0;
  const retention = options.retention ?? LABEL_HISTORY_RETENTION;
  const last = await allocateSeq(tenantId, records.length);
  const items = records.map((record, i): Item => {
    const stored: StoredRecord = { ...record, seq: last - records.length + 1 + i, [TTL_ATTRIBUTE]: expiresAtOf(record.appliedAt, retention) };
    return { ...triageKeys.labelRecord(tenantId, record.id), ...triageKeys.labelRecordIndexes(tenantId, record, options.pendingSync(record)), ...stored };
  });
  if (!options.onlyNew) return (await batchPut(items)).requests + 1;
  for (let i = 0; i < items.length; i += 8) await Promise.all(items.slice(i, i + 8).map((item) => putNew(item)));
  return items.length + 1;
}

export interface LabelRecordFilter {
  from?: string | undefined;
  to?: string | undefined;
  labelId?: string | undefined;
  policyId?: string | undefined;
  eventId?: string | undefined;
  action?: LabelAction | undefined;
  /** Only records written after the one with this sequence number (weekly reports: since the last report). */
  seqAfter?: number | undefined;
  /** Only records up to this sequence number included. */
  seqUpTo?: number | undefined;
}

/** The sequence number of the latest record written in the tenant (0 before the first); `consistent` for the label sync's bounds. */
export async function latestLabelSeq(tenantId: string, consistent = false): Promise<number> {
  return (await getItem<{ seq?: number }>(triageKeys.labelRecordSeq(tenantId), consistent))?.seq ?? 0;
}

export interface ReadOptions {
  now: Date;
  retention?: LabelRetention;
  /** False for readers that must see records over the cap until they expire (weekly reports). Default true. */
  applyCap?: boolean;
}

/**
 * Newest first, only what retention keeps at `now` (expired records are filtered, as TTL deletion lags;
 * over-cap records are filtered unless younger than the minimum age). The policy index serves a policy
 * filter, the label index a label filter; every other filter is a FilterExpression within it.
 */
export async function listLabelRecords(tenantId: string, filter: LabelRecordFilter, page: PageRequest, options: ReadOptions): Promise<Page<LabelRecord>> {
  const retention = options.retention ?? LABEL_HISTORY_RETENTION;
  const seq = await latestLabelSeq(tenantId);
  const visible = visibilityAt(options.now, seq, retention);
  const source = filter.policyId
    ? triageKeys.labelRecordsOfPolicy(tenantId, filter.policyId)
    : filter.labelId
      ? triageKeys.labelRecordsOfLabel(tenantId, filter.labelId)
      : triageKeys.labelRecordShards(tenantId);
  const conditions = ['#exp > :now'];
  const names: Record<string, string> = { '#exp': TTL_ATTRIBUTE };
  const values: Record<string, unknown> = { ':now': visible.expiredAtOrBefore };
  if (options.applyCap !== false) {
    conditions.push('(#seq > :minSeq OR #at >= :keptSince)');
    Object.assign(names, { '#seq': 'seq', '#at': 'appliedAt' });
    Object.assign(values, { ':minSeq': visible.minSeqExclusive, ':keptSince': visible.keptSince });
  }
  const equal = (field: 'labelId' | 'eventId' | 'action') => {
    if (filter[field] === undefined) return;
    conditions.push(`#${field} = :${field}`);
    names[`#${field}`] = field;
    values[`:${field}`] = filter[field];
  };
  if (filter.policyId) equal('labelId');
  equal('eventId');
  equal('action');
  if (filter.seqAfter !== undefined || filter.seqUpTo !== undefined) {
    names['#seq'] = 'seq';
    if (filter.seqAfter !== undefined) {
      conditions.push('#seq > :seqAfter');
      values[':seqAfter'] = filter.seqAfter;
    }
    if (filter.seqUpTo !== undefined) {
      conditions.push('#seq <= :seqUpTo');
      values[':seqUpTo'] = filter.seqUpTo;
    }
  }
  const condition: Condition = { expression: conditions.join(' AND '), names, values };
  const scope = `label-history:${tenantId}:${JSON.stringify(filter)}`;
  const out = await listNewestFirst<Item>(
    scope,
    { pks: source.pks, index: source.index, prefix: 'LH#lhr_', from: filter.from ? timeBound('LH#lhr_', filter.from, false) : undefined, to: filter.to ? timeBound('LH#lhr_', filter.to, true) : undefined, filter: condition },
    page,
  );
  return { items: out.items.map(served), nextCursor: out.nextCursor };
}

function served(item: Item): LabelRecord {
  const { seq: _seq, [TTL_ATTRIBUTE]: _exp, syncWaitingSince: _waiting, ...record } = withoutKeys<StoredRecord>(item);
  return record;
}

/** A record waiting for the label sync, with its tenant-wide write sequence number. */
export interface PendingSyncRecord extends LabelRecord {
  seq: number;
  /** When the sync first found its event not written yet (it waits for it, for a while). */
  syncWaitingSince?: string;
}

/** Where each shard of the NOTIFY index was left (shards absent: done). */
export type PendingSyncCursors = Record<string, string>;

/**
 * For the label sync (issue 14): records of notify-label applications that no sync has handed on yet
 * (gsi3 `NOTIFY`, 16 shards), up to `limitPerShard` per shard, oldest id first, from `cursors` when given
 * (only the shards named there) and the cursors of the shards that have more. Records leave the index when
 * the sync removes their gsi3 attributes; expired ones are skipped.
 */
export async function pendingSyncPage(tenantId: string, limitPerShard: number, now: Date, cursors?: PendingSyncCursors): Promise<{ records: PendingSyncRecord[]; more: PendingSyncCursors }> {
  const source = triageKeys.labelRecordsPendingSync(tenantId);
  const filter: Condition = { expression: '#exp > :now', names: { '#exp': TTL_ATTRIBUTE }, values: { ':now': Math.floor(now.getTime() / 1000) } };
  const shards = cursors ? source.pks.filter((pk) => cursors[pk] !== undefined) : source.pks;
  const pages = await Promise.all(shards.map(async (pk) => ({ pk, page: await queryPage<Item>({ pk, index: source.index, filter }, { limit: limitPerShard, cursor: cursors?.[pk] }) })));
  const more: PendingSyncCursors = {};
  for (const { pk, page } of pages) if (page.nextCursor) more[pk] = page.nextCursor;
  const records = pages.flatMap(({ page }) =>
    page.items.map((item) => ({ ...served(item), seq: Number(item.seq), ...(typeof item.syncWaitingSince === 'string' ? { syncWaitingSince: item.syncWaitingSince } : {}) })),
  );
  return { records, more };
}

/** The records of `pendingSyncPage`, without saying whether more wait. */
export const recordsPendingSync = async (tenantId: string, limitPerShard: number, now: Date): Promise<PendingSyncRecord[]> =>
  (await pendingSyncPage(tenantId, limitPerShard, now)).records;

/** Notes on records that the sync is waiting for their event (the first time only), so it can tell how long it has waited. */
export async function markWaitingForEvent(tenantId: string, recordIds: readonly string[], now: Date): Promise<void> {
  for (let i = 0; i < recordIds.length; i += 16) {
    await Promise.all(recordIds.slice(i, i + 16).map((id) => updateItem(triageKeys.labelRecord(tenantId, id), { setIfMissing: { syncWaitingSince: now.toISOString() } })));
  }
}

/**
 * Which of these records are still waiting for the label sync, read consistently from the table (the index
 * lags: a record handed on a moment ago may still be listed there).
 */
export async function stillPendingSync(tenantId: string, recordIds: readonly string[]): Promise<Set<string>> {
  const items = await batchGet<Item>(recordIds.map((id) => triageKeys.labelRecord(tenantId, id)), { consistent: true, projection: ['id', 'gsi3pk'] });
  return new Set(items.filter((item) => item.gsi3pk !== undefined).map((item) => String(item.id)));
}

/** Takes records out of the label sync's index (they are handed on, or nobody takes them); 16 updates in flight. */
export async function markRecordsSynced(tenantId: string, recordIds: readonly string[]): Promise<void> {
  for (let i = 0; i < recordIds.length; i += 16) {
    await Promise.all(recordIds.slice(i, i + 16).map((id) => updateItem(triageKeys.labelRecord(tenantId, id), { remove: ['gsi3pk', 'gsi3sk'] })));
  }
}
