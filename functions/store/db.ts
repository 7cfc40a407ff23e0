import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { getDb } from '../shared/clients.ts';
import { indexOf, STORAGE_ATTRIBUTES, TABLE_KEY, type IndexName } from './table.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { Key } from './keys.ts';

/** Small helpers over lib-dynamodb shared by the aggregate modules; no business rules here, no HTTP. */
export type Item = Record<string, unknown>;

/** A condition in DynamoDB's expression syntax with its own placeholders (`#name`, `:value`). */
export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export const ifNew: Condition = { expression: 'attribute_not_exists(pk)' };
export const ifExists: Condition = { expression: 'attribute_exists(pk)' };

export async function getItem<T = Item>(key: Key, consistent = false): Promise<T | undefined> {
  const { doc, table } = getDb();
  const out = await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: consistent }));
  return out.Item as T | undefined;
}

/** Puts an item; with a condition, false when it failed (an idempotent retry, or a lost race). */
export async function putItem(item: Item, condition?: Condition): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: condition?.expression,
        ExpressionAttributeNames: condition?.names,
        ExpressionAttributeValues: condition?.values,
      }),
    ),
  );
}

/** Puts an item that must not exist yet; false when it already did. */
export const putNew = (item: Item): Promise<boolean> => putItem(item, ifNew);

/** Deletes an item; false when it did not exist (or the condition failed). `null`: delete whether or not it exists. */
export async function deleteItem(key: Key, condition: Condition | null = ifExists): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(
      new DeleteCommand({
        TableName: table,
        Key: key,
        ConditionExpression: condition?.expression,
        ExpressionAttributeNames: condition?.names,
        ExpressionAttributeValues: condition?.values,
      }),
    ),
  );
}

/** What an update changes: top-level attributes only; names and values are placeheld for you. */
export interface Changes {
  set?: Item;
  /** Set only where the attribute is missing (`if_not_exists`): first writer wins, retries change nothing. */
  setIfMissing?: Item;
  /** Atomic counters, or elements added to a string set (`ADD`). */
  add?: Record<string, number | ReadonlySet<string>>;
  remove?: readonly string[];
  /** Elements taken out of a string set (`DELETE`); the attribute goes when its last element does. */
  delete?: Record<string, ReadonlySet<string>>;
}

/**
 * One UpdateItem. Answers the item as it is after the update (`ALL_NEW`), or undefined when the
 * condition failed. The default condition is that the item exists (no upserts by accident).
 */
export async function updateItem<T = Item>(key: Key, changes: Changes, condition: Condition | null = ifExists): Promise<T | undefined> {
  const names: Record<string, string> = { ...condition?.names };
  const values: Record<string, unknown> = { ...condition?.values };
  const clauses: string[] = [];
  let n = 0;
  const name = (attribute: string) => {
    const placeholder = `#u${n++}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const value = (v: unknown) => {
    const placeholder = `:u${n++}`;
    values[placeholder] = v;
    return placeholder;
  };
  const set = Object.entries(changes.set ?? {}).filter(([, v]) => v !== undefined).map(([a, v]) => `${name(a)} = ${value(v)}`);
  for (const [a, v] of Object.entries(changes.setIfMissing ?? {})) {
    if (v === undefined) continue;
    const placeholder = name(a);
    set.push(`${placeholder} = if_not_exists(${placeholder}, ${value(v)})`);
  }
  if (set.length) clauses.push(`SET ${set.join(', ')}`);
  const add = Object.entries(changes.add ?? {});
  if (add.length) clauses.push(`ADD ${add.map(([a, v]) => `${name(a)} ${value(v)}`).join(', ')}`);
  if (changes.remove?.length) clauses.push(`REMOVE ${changes.remove.map(name).join(', ')}`);
  const del = Object.entries(changes.delete ?? {});
  if (del.length) clauses.push(`DELETE ${del.map(([a, v]) => `${name(a)} ${value(v)}`).join(', ')}`);
  if (clauses.length === 0) throw new Error('updateItem: nothing to change');
  return updateWithExpression<T>(key, { update: clauses.join(' '), condition: condition?.expression, names, values });
}

/**
 * One UpdateItem written as an expression, for what `updateItem` cannot say (document paths such as
 * `labelMap.#l.note`, several clauses on generated names). The item after the update, or undefined when
 * the condition failed.
 */
export async function updateWithExpression<T = Item>(key: Key, expression: { update: string; condition?: string | undefined; names?: Record<string, string>; values?: Record<string, unknown> }): Promise<T | undefined> {
  const { doc, table } = getDb();
  const values = expression.values ?? {};
  try {
    const out = await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: expression.update,
        ConditionExpression: expression.condition,
        ExpressionAttributeNames: expression.names && Object.keys(expression.names).length ? expression.names : undefined,
        ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as T;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Runs a conditional write: false when its condition failed (a repeat or a lost race) instead of throwing. */
export async function conditionally(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PartitionQuery {
  /** Partition key value (on the table, or on the index when `index` is set). */
  pk: string;
  skPrefix?: string;
  /** Inclusive sort key range, instead of a prefix. */
  from?: string;
  to?: string;
  index?: IndexName;
  /** Newest first when false (ids are time-ordered). */
  forward?: boolean;
  filter?: Condition;
  consistent?: boolean;
}

function queryInput(query: PartitionQuery): QueryCommandInput {
  const declared = query.index ? indexOf(query.index) : undefined;
  const names: Record<string, string> = { '#pk': declared?.partitionKey ?? TABLE_KEY.partitionKey, ...query.filter?.names };
  const values: Record<string, unknown> = { ':pk': query.pk, ...query.filter?.values };
  let condition = '#pk = :pk';
  const sortKey = declared?.sortKey ?? TABLE_KEY.sortKey;
  if (query.skPrefix) {
    names['#sk'] = sortKey;
    values[':sk'] = query.skPrefix;
    condition += ' AND begins_with(#sk, :sk)';
  } else if (query.from !== undefined && query.to !== undefined) {
    names['#sk'] = sortKey;
    values[':from'] = query.from;
    values[':to'] = query.to;
    condition += ' AND #sk BETWEEN :from AND :to';
  }
  const { table } = getDb();
  return {
    TableName: table,
    IndexName: declared?.indexName,
    KeyConditionExpression: condition,
    FilterExpression: query.filter?.expression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: query.forward ?? true,
    ConsistentRead: query.consistent,
  };
}

/**
 * One page of a partition. With a filter, DynamoDB may return fewer than `limit` items per request,
 * so this keeps reading until the page is full or the partition ends. The cursor is signed for this
 * partition (store/cursor.ts).
 */
export async function queryPage<T = Item>(query: PartitionQuery, page: PageRequest): Promise<Page<T>> {
  const { doc } = getDb();
  // The key range is part of the scope: lists that share a partition (a tenant's API keys, groups and
  // policies) must not take each other's cursors, which DynamoDB refuses as a starting key (a 500).
  const scope = `${query.index ?? 'table'}:${query.pk}:${query.skPrefix ?? `${query.from ?? ''}..${query.to ?? ''}`}`;
  let startKey = page.cursor ? decodeCursor<Item>(scope, page.cursor) : undefined;
  const items: T[] = [];
  const input = queryInput(query);
  do {
    const out = await doc.send(new QueryCommand({ ...input, Limit: page.limit - items.length, ExclusiveStartKey: startKey }));
    items.push(...((out.Items ?? []) as T[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey && items.length < page.limit);
  return { items, nextCursor: startKey ? encodeCursor(scope, startKey) : null };
}

/** How many items a partition query matches (`Select: COUNT`, every page), without reading them out. */
export async function queryCount(query: PartitionQuery): Promise<number> {
  const { doc } = getDb();
  const input = queryInput(query);
  let count = 0;
  let startKey: Item | undefined;
  do {
    const out = await doc.send(new QueryCommand({ ...input, Select: 'COUNT', ExclusiveStartKey: startKey }));
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/** Every item of a partition (small partitions only: groups, policies, api keys of one tenant). */
export async function queryAll<T = Item>(query: PartitionQuery): Promise<T[]> {
  const { doc } = getDb();
  const input = queryInput(query);
  const all: T[] = [];
  let startKey: Item | undefined;
  do {
    const out = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    for (const item of out.Items ?? []) all.push(item as T);
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return all;
}

/** Drops the storage-only attributes (keys, index keys) before an item is shaped for the API. */
export function withoutKeys<T = Item>(item: object): T {
  const out: Item = {};
  for (const [name, value] of Object.entries(item)) if (!STORAGE_ATTRIBUTES.has(name)) out[name] = value;
  return out as T;
}
