import { deterministicId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import type { Policy } from '../model/policy.ts';
import type { Event } from '../model/event.ts';
import { diffEntries, recordedAttributes, uncomparable, type Change } from '../domain/diff.ts';
import type { OptionalAttribute } from '../contract/entry.ts';
import { getPolicies } from '../store/policies.ts';
import { getServer, removeFromInbox, type ServerItem } from '../store/servers.ts';
import { awaitsIngest, closeScan, getScan, type RecordedUpload, type ScanItem, type ScanResultRef } from '../store/scans.ts';
import { advanceScanState, claimScanState, getScanState, type ScanStateItem } from '../store/scan-state.ts';
import { differingEntries } from '../store/tree-diff.ts';
import { expiringEvent, putEvents } from '../store/events.ts';
import { triageNewEvents } from './triage-new-events.ts';
import { releaseTurn, takeTurn, WaitingForTurnError } from './ingest-order.ts';
import { raiseScanAlerts } from './raise-scan-alerts.ts';
import { eventRetentionDays } from '../store/tenants.ts';

export interface IngestMessage {
  tenantId: string;
  scanId: string;
}

type Counts = ScanStateItem['lastStats'];
type UploadedScan = ScanItem & RecordedUpload;
const zero = (): Counts => ({ added: 0, modified: 0, removed: 0, renamed: 0 });

/** What one delivery of an ingest message did. */
export type IngestOutcome = 'completed' | 'waiting' | 'nothing to do';

/**
 * Turns a recorded upload into events, exactly once, however often its message is delivered (SQS
 * redelivers, the schedule's sweep re-drives a lost one, a waiting scan is woken) and wherever a previous
 * attempt crashed. Per policy: wait for the scan's turn (ingest-order.ts), write its events (ids derive
 * from scan, policy and path, so a retry rewrites the same items), move the state to this scan in one
 * conditional write; then the scan is completed, last. Until then it is `running` and in the sweep's index.
 * A scan that must wait for an older one of its server ends this delivery quietly: the message is only a
 * wake-up, and the older scan's completion sends the next one (the sweep, if that is lost).
 */
export async function ingestScan({ tenantId, scanId }: IngestMessage, now = new Date()): Promise<IngestOutcome> {
  const scan = await getScan(tenantId, scanId);
  if (!awaitsIngest(scan)) return 'nothing to do'; // completed or failed already, or (a stray message) not uploaded
  const server = await getServer(tenantId, scan.serverId);
  if (!server) return 'nothing to do';
  const policies = new Map((await getPolicies(tenantId, scan.results.map((r) => r.policyId))).map((p) => [p.id, p]));
  const retentionDays = await eventRetentionDays(tenantId);

  const totals = zero();
  let filesScanned = 0;
  let skipped = 0;
  let unreadable = 0;
  const unsupported = new Set<OptionalAttribute>();
  for (const result of scan.results) {
    filesScanned += result.filesScanned;
    skipped += result.skipped ?? 0;
    unreadable += result.unreadable ?? 0;
    for (const attribute of result.unsupportedAttributes ?? []) unsupported.add(attribute);
    const policy = policies.get(result.policyId);
    if (!policy) continue; // deleted since the upload: nothing to compare against
    let counts: Counts;
    try {
      counts = await ingestPolicy(tenantId, scan, server, policy, result, now, retentionDays);
    } catch (error) {
      if (!(error instanceof WaitingForTurnError)) throw error;
      logger.info('scan waits for its turn', { tenantId, scanId, behind: error.behind, policyId: policy.id });
      return 'waiting';
    }
    for (const key of Object.keys(totals) as (keyof Counts)[]) totals[key] += counts[key];
  }
  // The events are stored: record the scan's alert digest and wake the alerts worker (before the scan completes,
  // so a crash here is retried with the ingest).
  await raiseScanAlerts(tenantId, scan, server, [...policies.values()], totals, now);
  const unsupportedAttributes = unsupported.size > 0 ? { unsupportedAttributes: [...unsupported] } : {};
  await completeIngest(tenantId, scan, { filesScanned, ...totals, skipped, unreadable }, unsupportedAttributes, now);
  return 'completed';
}

/** One policy of the scan: its turn, its events triaged and written, the state moved to this scan. */
async function ingestPolicy(tenantId: string, scan: UploadedScan, server: ServerItem, policy: Policy, result: ScanResultRef, now: Date, retentionDays: number): Promise<Counts> {
  const turn = await takeTurn(tenantId, scan, server.id, policy.id);
  if (turn.kind === 'applied') return turn.stats;
  if (turn.kind === 'superseded') return zero();
  const state = turn.applied;

  // What to compare with: the previous scan; on a first scan, a golden master's baseline if the policy names one.
  let reference: { root: string; targets: Policy['targets']; recorded?: OptionalAttribute[]; otherHost?: boolean } | null = state
    ? { root: state.root, targets: state.targets, recorded: state.recordedAttributes }
    : null;
  if (!state && policy.baselineServerId && policy.baselineServerId !== server.id) {
    const golden = await getScanState(tenantId, policy.baselineServerId, policy.id);
    if (golden) reference = { root: golden.baselineRoot, targets: golden.targets, recorded: golden.baselineRecordedAttributes, otherHost: true };
  }
  const recorded = recordedAttributes(result.unsupportedAttributes);
  const rebuild = scan.kind === 'baseline';
  let changes: Change[] = [];
  if (reference && !rebuild) {
    const { before, after } = await differingEntries(tenantId, reference.root, result.root);
    // Attributes only one side recorded are unknown on the other, not changed.
    const ignoreAttributes = [...uncomparable(reference.recorded, recorded), ...(reference.otherHost ? (['inode', 'mtime', 'ctime'] as const) : [])];
    changes = diffEntries({
      before,
      after,
      targets: policy.targets,
      previousTargets: reference.targets,
      platform: server.platform,
      ignoreAttributes,
      // Against another host's baseline, inodes and timestamps always differ and renames mean nothing.
      ...(reference.otherHost ? { detectRenames: false } : {}),
    });
  }
  const previousScanId = state?.lastScanId ?? null;
  const stateId = { serverId: server.id, policyId: policy.id };
  const detectedAt = new Date(scan.detectedAt);
  const events = changes.map((change) => expiringEvent(toEvent(change, { scan, server, policy, detectedAt }), retentionDays));
  if (events.length > 0) {
    // Events are written only by the scan holding the state, so no two scans report against the same state.
    if (!(await claimScanState(tenantId, stateId, scan.id, previousScanId, turn.staleClaim))) throw new StateMovedError(server.id, policy.id);
    // Rules label the new events, the dashboard counts them: before they are written, idempotently.
    const triaged = await triageNewEvents(tenantId, { scanId: scan.id, serverId: server.id, hostname: server.hostname, policyId: policy.id }, events, now);
    await writePolicyEvents(tenantId, triaged);
  }

  const counts = zero();
  for (const change of changes) counts[change.changeType] += 1;
  const next: ScanStateItem = {
    ...stateId,
    root: result.root,
    baselineRoot: !state || rebuild ? (reference && !rebuild ? reference.root : result.root) : state.baselineRoot,
    recordedAttributes: recorded,
    baselineRecordedAttributes: !state || rebuild ? (reference && !rebuild ? (reference.recorded ?? []) : recorded) : (state.baselineRecordedAttributes ?? []),
    targets: policy.targets,
    lastScanId: scan.id,
    detectedAt: scan.detectedAt,
    lastStats: counts,
    updatedAt: now.toISOString(),
  };
  if (!(await advanceScanState(tenantId, next, previousScanId, turn.staleClaim))) throw new StateMovedError(server.id, policy.id);
  return counts;
}

/** The events of one policy of the scan are written (idempotent: deterministic ids). */
async function writePolicyEvents(tenantId: string, events: readonly Event[]): Promise<void> {
  await putEvents(tenantId, events);
}

/**
 * The scan is completed, with its stats, and leaves the sweep's index; only then does it leave the line of
 * its server (so no newer scan moves the state past it before its stats are recorded), waking the next.
 */
async function completeIngest(
  tenantId: string,
  scan: UploadedScan,
  stats: Counts & { filesScanned: number; skipped: number; unreadable: number },
  extra: Pick<ScanItem, 'unsupportedAttributes'>,
  now: Date,
): Promise<void> {
  await closeScan(tenantId, scan.id, { status: 'completed', completedAt: now.toISOString(), stats, ...extra });
  await releaseTurn(tenantId, scan);
  await removeFromInbox(tenantId, scan.serverId, [scan.id]);
  logger.info('scan ingested', { tenantId, scanId: scan.id, ...stats });
}

/** Another ingest moved or holds the state between this one's read and its write: the retry reads it again. */
export class StateMovedError extends Error {
  constructor(serverId: string, policyId: string) {
    super(`scan state of ${serverId}/${policyId} moved concurrently; retrying`);
    this.name = 'StateMovedError';
  }
}

function toEvent(change: Change, ctx: { scan: ScanItem; server: ServerItem; policy: Policy; detectedAt: Date }): Event {
  const { scan, server, policy, detectedAt } = ctx;
  return {
    id: deterministicId('evt', detectedAt, `${scan.id}\n${policy.id}\n${change.path}`),
    serverId: server.id,
    hostname: server.hostname,
    groupId: server.groupId,
    policyId: policy.id,
    targetPath: change.target.path,
    path: change.path,
    changeType: change.changeType,
    ...(change.previousPath ? { previousPath: change.previousPath } : {}),
    changedAttributes: change.changedAttributes,
    severity: change.target.critical ? 'critical' : 'normal',
    source: scan.kind === 'real-time' ? 'real-time' : 'scan',
    scanId: scan.id,
    detectedAt: detectedAt.toISOString(),
    before: change.before,
    after: change.after,
    labels: [],
  };
}
