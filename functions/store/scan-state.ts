import type { Target } from '../model/policy.ts';
import type { OptionalAttribute } from '../contract/entry.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';
import type { Condition } from './db.ts';

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

/**
 * The stored item: the applied state above (absent until the first ingest under this server and policy),
 * plus the order of the scans still to apply. `uploads` holds the ids of the scans whose upload for this
 * policy was recorded and that are not completed yet; `ingestingScanId` is the one scan writing events
 * against the applied state now (a claim), so two scans are never diffed against the same state.
 */
interface StoredScanState extends Partial<ScanStateItem> {
  serverId: string;
  policyId: string;
  uploads?: Set<string>;
  ingestingScanId?: string;
}

/** The applied state and the order of what comes next, as one consistent read answers it. */
export interface ScanOrder {
  applied?: ScanStateItem;
  /** Scans recorded as uploaded for this policy and not completed yet (this one included). */
  uploads: string[];
  /** The scan writing its events against `applied` now, if any. */
  ingestingScanId?: string;
}

type StateId = { serverId: string; policyId: string };

const scanStates = defineEntity<StoredScanState, StateId>({
  name: 'scan state',
  key: (tenantId, { serverId, policyId }) => keys.scanState(tenantId, serverId, policyId),
  idOf: (state) => ({ serverId: state.serverId, policyId: state.policyId }),
});

function appliedOf(item: StoredScanState | undefined): ScanStateItem | undefined {
  if (!item?.lastScanId) return undefined;
  const { uploads: _uploads, ingestingScanId: _claim, ...applied } = item;
  return applied as ScanStateItem;
}

/** The applied state of a server under a policy (what its next scan is compared with), read consistently. */
export async function getScanState(tenantId: string, serverId: string, policyId: string): Promise<ScanStateItem | undefined> {
  return appliedOf(await scanStates.get(tenantId, { serverId, policyId }, { consistent: true }));
}

export async function listScanStates(tenantId: string, serverId: string): Promise<ScanStateItem[]> {
  return (await scanStates.all(keys.scanStates(tenantId, serverId))).map(appliedOf).filter((s): s is ScanStateItem => s !== undefined);
}

/** The applied state with the uploads waiting for their turn and the current claim (consistent read). */
export async function getScanOrder(tenantId: string, serverId: string, policyId: string): Promise<ScanOrder> {
  const item = await scanStates.get(tenantId, { serverId, policyId }, { consistent: true });
  return { applied: appliedOf(item), uploads: [...(item?.uploads ?? [])], ...(item?.ingestingScanId ? { ingestingScanId: item.ingestingScanId } : {}) };
}

/**
 * Puts a scan in line under each of its policies, before its upload is recorded: every recorded upload is
 * then known to the scans after it, which wait for it. Adding an element already there changes nothing.
 */
export async function registerUpload(tenantId: string, serverId: string, policyIds: readonly string[], scanId: string): Promise<void> {
  await Promise.all(
    policyIds.map((policyId) => scanStates.update(tenantId, { serverId, policyId }, { set: { serverId, policyId }, add: { uploads: new Set([scanId]) } }, null)),
  );
}

/** Takes scans out of the line of a policy; answers the scans still in it (the ones to wake). */
export async function forgetUploads(tenantId: string, serverId: string, policyId: string, scanIds: readonly string[]): Promise<string[]> {
  if (scanIds.length === 0) return [];
  // Only on a set that is there: without it there is nothing to take out, and no one left in line.
  const after = await scanStates.update(tenantId, { serverId, policyId }, { delete: { uploads: new Set(scanIds) } }, { expression: 'attribute_exists(uploads)' });
  return [...(after?.uploads ?? [])];
}

/** The state is still `previousScanId`'s, and free, or claimed by `scanId` (or only by `staleClaim`). */
function stateCondition(scanId: string, previousScanId: string | null, staleClaim: string | undefined): Condition {
  const values: Record<string, unknown> = { ':me': scanId };
  const claim = ['attribute_not_exists(ingestingScanId)', 'ingestingScanId = :me'];
  if (staleClaim) {
    values[':stale'] = staleClaim;
    claim.push('ingestingScanId = :stale');
  }
  let state = 'attribute_not_exists(lastScanId)';
  if (previousScanId !== null) {
    values[':prev'] = previousScanId;
    state = 'lastScanId = :prev';
  }
  return { expression: `(${claim.join(' OR ')}) AND ${state}`, values };
}

/**
 * Claims the state for `scanId` before it writes events against it: only while the state is still the one
 * its diff was computed from (`previousScanId`) and no other scan holds it (or only `staleClaim`, a scan
 * that ended without releasing it). False when another scan got there first.
 */
export async function claimScanState(tenantId: string, id: StateId, scanId: string, previousScanId: string | null, staleClaim?: string): Promise<boolean> {
  const claimed = await scanStates.update(tenantId, id, { set: { ...id, ingestingScanId: scanId } }, stateCondition(scanId, previousScanId, staleClaim));
  return claimed !== undefined;
}

/**
 * Moves the state forward from `previousScanId` to `next.lastScanId` and releases the claim, in one
 * conditional write: it fails (false) if another scan moved the state or holds it, and the caller's retry
 * then reads the new state instead of overwriting it. `staleClaim` as in claimScanState.
 */
export async function advanceScanState(tenantId: string, next: ScanStateItem, previousScanId: string | null, staleClaim?: string): Promise<boolean> {
  const id = { serverId: next.serverId, policyId: next.policyId };
  const moved = await scanStates.update(tenantId, id, { set: { ...next }, remove: ['ingestingScanId'] }, stateCondition(next.lastScanId, previousScanId, staleClaim));
  return moved !== undefined;
}
