import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import type { Item } from './db.ts';
import { keyString, type Key } from './keys.ts';

/**
 * BatchWriteItem and BatchGetItem with what every caller needs and nobody should write twice: requests of
 * 25 (write) or 100 (get) items, the unprocessed part retried with exponential backoff and jitter (what
 * DynamoDB returns under throttling), and a bounded number of requests in flight.
 */
export const BATCH_WRITE_SIZE = 25;
export const BATCH_GET_SIZE = 100;
const MAX_ATTEMPTS = 10;

export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Key } };

export interface BatchOptions {
  /** Requests in flight at once (default 4). */
  parallel?: number;
}

/** Counts of what a batch call cost, for tests and the benchmark. */
export interface BatchStats {
  requests: number;
}

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2)));

/** Runs `work` over `chunks`, at most `parallel` at a time. */
async function inParallel<T>(chunks: T[][], parallel: number, work: (chunk: T[]) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < chunks.length) await work(chunks[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, lane));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Writes (puts and deletes) every request; throws only when DynamoDB keeps refusing after retries. */
export async function batchWrite(requests: readonly WriteRequest[], options: BatchOptions = {}): Promise<BatchStats> {
  const { doc, table } = getDb();
  const stats: BatchStats = { requests: 0 };
  await inParallel(chunk(requests, BATCH_WRITE_SIZE), options.parallel ?? 4, async (part) => {
    let pending = part as WriteRequest[];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`BatchWriteItem: ${pending.length} items still unprocessed after ${MAX_ATTEMPTS} attempts`);
      if (attempt > 0) await backoff(attempt);
      stats.requests++;
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
    }
  });
  return stats;
}

/** Puts every item (no condition: BatchWriteItem has none; use it for items whose key says what they are). */
export function batchPut(items: readonly Item[], options?: BatchOptions): Promise<BatchStats> {
  return batchWrite(items.map((Item) => ({ PutRequest: { Item } })), options);
}

/** Reads every key that exists (duplicates read once); order is not kept. */
export async function batchGet<T = Item>(keys: readonly Key[], options: BatchOptions & { projection?: readonly string[]; consistent?: boolean } = {}): Promise<T[]> {
  const { doc, table } = getDb();
  const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
  const found: T[] = [];
  await inParallel(chunk(unique, BATCH_GET_SIZE), options.parallel ?? 4, async (part) => {
    let pending: Key[] = part;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`BatchGetItem: ${pending.length} keys still unprocessed after ${MAX_ATTEMPTS} attempts`);
      if (attempt > 0) await backoff(attempt);
      const out = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: options.consistent, ...projection(options.projection) } } }));
      found.push(...((out.Responses?.[table] ?? []) as T[]));
      pending = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
    }
  });
  return found;
}

/** Keys always come back with a projection, so callers can tell the items apart. */
function projection(attributes: readonly string[] | undefined) {
  if (!attributes) return {};
  const names = [...new Set(['pk', 'sk', ...attributes])];
  return {
    ProjectionExpression: names.map((_, i) => `#p${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#p${i}`, name])),
  };
}
