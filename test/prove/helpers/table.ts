import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

/**
 * The stack's table read from outside, through the real AWS SDK (a Scan, paginated), to tell whether a
 * request wrote anything: the count and a digest of every item, or one tenant's items as a dump.
 */
export function tableReader(endpoint: string, tableName = 'driftwatch') {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));

  async function scanAll(): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      items.push(...((page.Items ?? []) as Item[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  const canonical = (value: unknown): unknown => {
    if (value instanceof Set) return [...value].map(canonical).sort();
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Item)[k])]));
    return value;
  };
  const sorted = (items: Item[]) => items.map((i) => JSON.stringify(canonical(i))).sort();

  return {
    scanAll,
    /** Item count and a digest of every item: equal before and after means nothing was written. */
    async state(): Promise<{ count: number; digest: string }> {
      const lines = sorted(await scanAll());
      return { count: lines.length, digest: createHash('sha256').update(lines.join('\n')).digest('hex') };
    },
    /** Every item of one tenant (its partitions start with `T#<tenantId>`), canonical and sorted, to compare two moments. */
    async tenantDump(tenantId: string): Promise<string[]> {
      const mine = (await scanAll()).filter((i) => String(i.pk) === `T#${tenantId}` || String(i.pk).startsWith(`T#${tenantId}#`));
      return sorted(mine);
    },
  };
}
export type TableReader = ReturnType<typeof tableReader>;
