import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import { decodeCursor, encodeCursor, InvalidCursorError } from './cursor.ts';
import { indexOf, TABLE_KEY, type IndexName } from './table.ts';
import type { Condition, Item, Page, PageRequest } from './db.ts';
import { base32 } from '../shared/ids.ts';

/**
 * Lists items with time-ordered ids newest first across several partitions (the write shards of a
 * tenant's events or scans, store/keys.ts): one Query per partition in parallel, merged by sort key.
 * The cursor is the last sort key answered, so the next page is "older than that" in every partition,
 * whatever the shard count; it is signed for this list (store/cursor.ts).
 */
export interface NewestFirstQuery {
  /** Partition key values to read (all shards of the collection, or one partition). */
  pks: readonly string[];
  index?: IndexName;
  /** Every sort key of the collection starts with this (`EV#evt_`). */
  prefix: string;
  /** Inclusive sort key bounds (from a time window), within the prefix. */
  from?: string;
  to?: string;
  filter?: Condition;
}

/**
 * The sort key bound of a time in a collection whose ids start with their time (shared/ids.ts):
 * `timeBound('EV#evt_', from, false)` .. `timeBound('EV#evt_', to, true)` is the window [from, to].
 */
export function timeBound(prefix: string, time: string, top: boolean): string {
  const stamp = Buffer.alloc(6);
  stamp.writeUIntBE(Date.parse(time), 0, 6);
  return `${prefix}${base32(stamp)}${top ? '~' : ''}`;
}

/** Above every character of an id: the upper bound of "anything with this prefix". */
const TOP = '~';

export async function listNewestFirst<T = Item>(scope: string, query: NewestFirstQuery, page: PageRequest): Promise<Page<T>> {
  const sortKey = query.index ? indexOf(query.index).sortKey : TABLE_KEY.sortKey;
  const before = page.cursor ? decodeCursor<{ b?: unknown }>(scope, page.cursor).b : undefined;
  if (before !== undefined && (typeof before !== 'string' || !before.startsWith(query.prefix))) throw new InvalidCursorError();
  const lo = query.from ?? query.prefix;
  let hi = query.to ?? `${query.prefix}${TOP}`;
  if (before !== undefined && before < hi) hi = before;

  const perPartition = await Promise.all(query.pks.map((pk) => readPartition(pk, query, lo, hi, before as string | undefined, page.limit)));
  const merged = perPartition.flatMap((p) => p.items).sort((a, b) => (a[sortKey]! > b[sortKey]! ? -1 : a[sortKey]! < b[sortKey]! ? 1 : 0));
  const items = merged.slice(0, page.limit);
  const more = merged.length > page.limit || perPartition.some((p) => p.more);
  const last = items[items.length - 1];
  return { items: items as T[], nextCursor: more && last ? encodeCursor(scope, { b: last[sortKey] }) : null };
}

/** Up to `limit` matching items of one partition, newest first, strictly older than `before`. */
async function readPartition(pk: string, query: NewestFirstQuery, lo: string, hi: string, before: string | undefined, limit: number) {
  const { doc, table } = getDb();
  const declared = query.index ? indexOf(query.index) : undefined;
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: declared?.indexName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
        FilterExpression: query.filter?.expression,
        ExpressionAttributeNames: { '#pk': declared?.partitionKey ?? TABLE_KEY.partitionKey, '#sk': declared?.sortKey ?? TABLE_KEY.sortKey, ...query.filter?.names },
        ExpressionAttributeValues: { ':pk': pk, ':lo': lo, ':hi': hi, ...query.filter?.values },
        ScanIndexForward: false,
        // One more than needed: the cursor's own item comes back (BETWEEN is inclusive) and is dropped.
        Limit: limit - items.length + 1,
        ExclusiveStartKey: startKey,
      }),
    );
    const sortKey = declared?.sortKey ?? TABLE_KEY.sortKey;
    for (const item of out.Items ?? []) if (item[sortKey] !== before) items.push(item);
    startKey = out.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return { items: items.slice(0, limit), more: items.length > limit || startKey !== undefined };
}
