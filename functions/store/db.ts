import { GetCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { getDb } from '../shared/clients.ts';
import { GSI1 } from './table.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { Key } from './keys.ts';

/** Small helpers over lib-dynamodb shared by the aggregate modules; no business rules here. */
export type Item = Record<string, unknown>;

export async function getItem<T = Item>(key: Key, consistent = false): Promise<T | undefined> {
  const { doc, table } = getDb();
  const out = await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: consistent }));
  return out.Item as T | undefined;
}

/** Puts an item that must not exist yet; returns false when it already did (an idempotent retry). */
export async function putNew(item: Item): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
  );
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
  /** Partition key value (on the table, or on gsi1 when `index` is set). */
  pk: string;
  skPrefix?: string;
  index?: 'gsi1';
  /** Newest first when false (ids are time-ordered). */
  forward?: boolean;
  filter?: Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeValues' | 'ExpressionAttributeNames'>;
}

/**
 * One page of a partition. With a filter, DynamoDB may return fewer than `limit` items per request,
 * so this keeps reading until the page is full or the partition ends.
 */
export async function queryPage<T = Item>(query: PartitionQuery, page: PageRequest): Promise<Page<T>> {
  const { doc, table } = getDb();
  const pkName = query.index ? GSI1.partitionKey : 'pk';
  const skName = query.index ? GSI1.sortKey : 'sk';
  let startKey = page.cursor ? decodeCursor(page.cursor, pkName, query.pk) : undefined;
  const items: T[] = [];
  do {
    const names: Record<string, string> = { '#pk': pkName, ...(query.filter?.ExpressionAttributeNames ?? {}) };
    const values: Record<string, unknown> = { ':pk': query.pk, ...(query.filter?.ExpressionAttributeValues ?? {}) };
    let condition = '#pk = :pk';
    if (query.skPrefix) {
      names['#sk'] = skName;
      values[':sk'] = query.skPrefix;
      condition += ' AND begins_with(#sk, :sk)';
    }
    const out = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: query.index ? GSI1.indexName : undefined,
        KeyConditionExpression: condition,
        FilterExpression: query.filter?.FilterExpression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: query.forward ?? true,
        Limit: page.limit - items.length,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((out.Items ?? []) as T[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey && items.length < page.limit);
  return { items, nextCursor: startKey ? encodeCursor(startKey) : null };
}

/** Every item of a partition (small partitions only: groups, policies, api keys of one tenant). */
export async function queryAll<T = Item>(query: PartitionQuery): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await queryPage<T>(query, { limit: 500, cursor });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** Drops the storage-only attributes (keys) before an item is shaped for the API. */
export function withoutKeys<T = Item>(item: object): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item as Item;
  return rest as T;
}
