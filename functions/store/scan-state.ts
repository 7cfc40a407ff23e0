import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import type { Target } from '../contract/policy.schemas.ts';
import { keys } from './keys.ts';
import { getItem, conditionally, queryAll, withoutKeys } from './db.ts';

/** What the server knows of one server under one policy: the authority on baseline and previous scan. */
export interface ScanStateItem {
  policyId: string;
  /** Tree root of the last completed scan. */
  root: string;
  /** Tree root of the baseline (first scan, or the last baseline rebuild). */
  baselineRoot: string;
  /** The policy's targets when `root` was recorded, to tell scope changes from file changes. */
  targets: Target[];
  lastScanId: string;
  /** detectedAt of that scan: an older scan delivered late (SQS does not keep order) must not move the state back. */
  detectedAt?: string;
  lastStats: { added: number; modified: number; removed: number; renamed: number };
  updatedAt: string;
}

export async function getScanState(tenantId: string, serverId: string, policyId: string): Promise<ScanStateItem | undefined> {
  const item = await getItem<ScanStateItem & Record<string, unknown>>(keys.scanState(tenantId, serverId, policyId), true);
  return item ? (withoutKeys(item) as ScanStateItem) : undefined;
}

export async function listScanStates(tenantId: string, serverId: string): Promise<ScanStateItem[]> {
  const prefix = keys.scanStatePrefix(tenantId, serverId);
  const items = await queryAll<ScanStateItem & Record<string, unknown>>({ pk: prefix.pk, skPrefix: prefix.skPrefix });
  return items.map((i) => withoutKeys(i) as ScanStateItem);
}

/**
 * Moves the state forward from `previousScanId` (optimistic concurrency): if another ingest moved it
 * first, this one fails instead of overwriting, and its retry recomputes against the new state.
 */
export async function advanceScanState(tenantId: string, serverId: string, next: ScanStateItem, previousScanId: string | null): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.scanState(tenantId, serverId, next.policyId), ...next },
        ConditionExpression: previousScanId === null ? 'attribute_not_exists(pk)' : 'lastScanId = :prev',
        ExpressionAttributeValues: previousScanId === null ? undefined : { ':prev': previousScanId },
      }),
    ),
  );
}
