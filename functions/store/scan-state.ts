import type { Target } from '../model/policy.ts';
import type { OptionalAttribute } from '../contract/entry.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';

/** What the server knows of one server under one policy: the authority on baseline and previous scan. */
export interface ScanStateItem {
  serverId: string;
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
  /** Optional attributes the entries under `root` carry (absent: none, an older agent). */
  recordedAttributes?: OptionalAttribute[];
  /** The same for `baselineRoot`. */
  baselineRecordedAttributes?: OptionalAttribute[];
}

export const scanStates = defineEntity<ScanStateItem, { serverId: string; policyId: string }>({
  name: 'scan state',
  key: (tenantId, { serverId, policyId }) => keys.scanState(tenantId, serverId, policyId),
  idOf: (state) => ({ serverId: state.serverId, policyId: state.policyId }),
});

export const getScanState = (tenantId: string, serverId: string, policyId: string) => scanStates.get(tenantId, { serverId, policyId }, { consistent: true });
export const listScanStates = (tenantId: string, serverId: string) => scanStates.all(keys.scanStates(tenantId, serverId));

/**
 * Moves the state forward from `previousScanId` (optimistic concurrency): if another ingest moved it
 * first, this one fails instead of overwriting, and its retry recomputes against the new state.
 */
export function advanceScanState(tenantId: string, next: ScanStateItem, previousScanId: string | null): Promise<boolean> {
  return scanStates.put(
    tenantId,
    next,
    previousScanId === null ? { expression: 'attribute_not_exists(pk)' } : { expression: 'lastScanId = :prev', values: { ':prev': previousScanId } },
  );
}
