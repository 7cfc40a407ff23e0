import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import type { Scan } from '../api/schemas/scan.schemas.ts';
import { keys } from './keys.ts';
import { getItem, conditionally, queryPage, withoutKeys, type Page, type PageRequest } from './db.ts';

export interface ScanResultRef {
  policyId: string;
  root: string;
  filesScanned: number;
}

/** The scan item: the public Scan plus what the agent reported, which the ingest worker reads. */
export interface ScanItem extends Scan {
  results?: ScanResultRef[];
  /** When the agent finished walking; events of this scan carry it as detectedAt. */
  detectedAt?: string;
}

export async function putScan(tenantId: string, scan: ScanItem): Promise<void> {
  const { doc, table } = getDb();
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: { ...keys.scan(tenantId, scan.id), ...keys.scanByServer(tenantId, scan.serverId, scan.id), ...scan },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getScan(tenantId: string, scanId: string): Promise<ScanItem | undefined> {
  const item = await getItem<ScanItem & Record<string, unknown>>(keys.scan(tenantId, scanId), true);
  return item ? (withoutKeys(item) as ScanItem) : undefined;
}

export async function listScans(tenantId: string, page: PageRequest, filter: { serverId?: string; status?: string }): Promise<Page<ScanItem>> {
  const query = filter.serverId
    ? { pk: keys.scansOfServer(tenantId, filter.serverId).gsi1pk, skPrefix: 'SCAN#', index: 'gsi1' as const }
    : { pk: keys.scansPartition(tenantId).pk, skPrefix: 'SCAN#' };
  const out = await queryPage<ScanItem & Record<string, unknown>>(
    {
      ...query,
      forward: false,
      filter: filter.status
        ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':status': filter.status } }
        : undefined,
    },
    page,
  );
  return { items: out.items.map((i) => withoutKeys(i) as ScanItem), nextCursor: out.nextCursor };
}

/** pending -> running on the agent's first upload request; a no-op when already running. */
export async function markScanRunning(tenantId: string, scanId: string, now: Date): Promise<void> {
  const { doc, table } = getDb();
  await conditionally(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.scan(tenantId, scanId),
        UpdateExpression: 'SET #status = :running, startedAt = :now',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': 'running', ':pending': 'pending', ':now': now.toISOString() },
      }),
    ),
  );
}

/**
 * Records the agent's roots. Allowed while the scan is not finished; repeating it with the same
 * roots is harmless (the ingest is idempotent). Returns false when the scan is already finished.
 */
export async function recordScanResults(tenantId: string, scanId: string, results: ScanResultRef[], detectedAt: string, now: Date): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.scan(tenantId, scanId),
        UpdateExpression: 'SET #status = :running, results = :results, detectedAt = :detectedAt, startedAt = if_not_exists(startedAt, :now)',
        ConditionExpression: '#status IN (:pending, :running)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':running': 'running',
          ':pending': 'pending',
          ':results': results,
          ':detectedAt': detectedAt,
          ':now': now.toISOString(),
        },
      }),
    ),
  );
}

export async function finishScan(
  tenantId: string,
  scanId: string,
  outcome: { status: 'completed'; stats: NonNullable<Scan['stats']> } | { status: 'failed'; error: string },
  now: Date,
): Promise<boolean> {
  const { doc, table } = getDb();
  const values: Record<string, unknown> = { ':status': outcome.status, ':now': now.toISOString(), ':pending': 'pending', ':running': 'running' };
  let update = 'SET #status = :status, completedAt = :now';
  if (outcome.status === 'completed') {
    update += ', stats = :stats';
    values[':stats'] = outcome.stats;
  } else {
    update += ', #error = :error';
    values[':error'] = outcome.error;
  }
  return conditionally(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.scan(tenantId, scanId),
        UpdateExpression: update,
        ConditionExpression: '#status IN (:pending, :running)',
        ExpressionAttributeNames: { '#status': 'status', ...(outcome.status === 'failed' ? { '#error': 'error' } : {}) },
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** The public shape of a scan (what the agent reported stays internal). */
export function toScan(item: ScanItem): Scan {
  const { results: _results, detectedAt: _detectedAt, ...scan } = item;
  return scan;
}
