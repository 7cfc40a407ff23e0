import { deterministicId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import type { Policy } from '../model/policy.ts';
import type { Event } from '../model/event.ts';
import { diffEntries, recordedAttributes, uncomparable, type Change } from '../domain/diff.ts';
import type { OptionalAttribute } from '../contract/entry.ts';
import { getPolicies } from '../store/policies.ts';
import { getServer, removeFromInbox, type ServerItem } from '../store/servers.ts';
import { getScan, scans, whileOpen, type ScanItem, type ScanResultRef } from '../store/scans.ts';
import { advanceScanState, getScanState, type ScanStateItem } from '../store/scan-state.ts';
import { differingEntries } from '../store/tree-diff.ts';
import { putEvents } from '../store/events.ts';
import { triageNewEvents } from './triage-new-events.ts';

export interface IngestMessage {
  tenantId: string;
  scanId: string;
}

type Counts = ScanStateItem['lastStats'];
const zero = (): Counts => ({ added: 0, modified: 0, removed: 0, renamed: 0 });

/**
 * Turns a completed upload into events. Safe to run twice for the same scan: event ids derive from
 * (scan, policy, path), so a retry rewrites the same items, and the per-policy state moves forward
 * with a conditional write, so a policy already applied is skipped and its stats reused.
 */
export async function ingestScan({ tenantId, scanId }: IngestMessage, now = new Date()): Promise<void> {
  const scan = await getScan(tenantId, scanId);
  if (!scan || scan.status === 'completed' || scan.status === 'failed' || !scan.results) return;
  const server = await getServer(tenantId, scan.serverId);
  if (!server) return;
  const policies = new Map((await getPolicies(tenantId, scan.results.map((r) => r.policyId))).map((p) => [p.id, p]));

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
    const counts = await ingestPolicy(tenantId, scan, server, policy, result, now);
    for (const key of Object.keys(totals) as (keyof Counts)[]) totals[key] += counts[key];
  }
  const stats = { filesScanned, ...totals, skipped, unreadable };
  const unsupportedAttributes = unsupported.size > 0 ? { unsupportedAttributes: [...unsupported] } : {};
  await scans.update(tenantId, scanId, { set: { status: 'completed', completedAt: now.toISOString(), stats, ...unsupportedAttributes } }, whileOpen);
  await removeFromInbox(tenantId, server.id, [scanId]);
  logger.info('scan ingested', { tenantId, scanId, ...totals, filesScanned });
}

async function ingestPolicy(tenantId: string, scan: ScanItem, server: ServerItem, policy: Policy, result: ScanResultRef, now: Date): Promise<Counts> {
  const state = await getScanState(tenantId, server.id, policy.id);
  if (state?.lastScanId === scan.id) return state.lastStats;
  // A newer scan was ingested first: its diff already covers this one's changes, so report nothing.
  if (state?.detectedAt && scan.detectedAt && scan.detectedAt < state.detectedAt) return zero();

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
  const detectedAt = new Date(scan.detectedAt ?? new Date().toISOString());
  const events = changes.map((change) => toEvent(change, { scan, server, policy, detectedAt }));
  // Rules label the new events, the dashboard counts them: before they are written, idempotently.
  const triaged = await triageNewEvents(tenantId, { scanId: scan.id, serverId: server.id, hostname: server.hostname, policyId: policy.id }, events, now);
  await putEvents(tenantId, triaged);

  const counts = zero();
  for (const change of changes) counts[change.changeType] += 1;
  const next: ScanStateItem = {
    serverId: server.id,
    policyId: policy.id,
    root: result.root,
    baselineRoot: !state || rebuild ? (reference && !rebuild ? reference.root : result.root) : state.baselineRoot,
    recordedAttributes: recorded,
    baselineRecordedAttributes: !state || rebuild ? (reference && !rebuild ? (reference.recorded ?? []) : recorded) : (state.baselineRecordedAttributes ?? []),
    targets: policy.targets,
    lastScanId: scan.id,
    detectedAt: scan.detectedAt,
    lastStats: counts,
    updatedAt: new Date().toISOString(),
  };
  if (!(await advanceScanState(tenantId, next, state?.lastScanId ?? null))) {
    throw new Error(`scan state of ${server.id}/${policy.id} moved concurrently; retrying`);
  }
  return counts;
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
