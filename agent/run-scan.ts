import { rmSync } from 'node:fs';
import type { AgentPolicy, AgentScan, ScanKind } from '../functions/contract/agent.schemas.ts';
import type { PathEntry } from '../functions/contract/entry.ts';
import { targetForPath } from '../functions/contract/targets.ts';
import { LastKnown } from './carry-forward.ts';
import { reportChanges } from './change-report.ts';
import { ApiError, UnreachableError, type ByteMeter } from './client.ts';
import type { AgentContext } from './context.ts';
import { deliver, ProtocolError, walkCounts, type PolicyTree } from './deliver.ts';
import { errorMessage, log } from './log.ts';
import { scanProgress, type Progress } from './progress.ts';
import { ScanTree } from './scan-tree.ts';
import { scanPolicy, type PolicyScanResult } from './scan/scan-policy.ts';
import { addToSpool } from './spool.ts';
import { paths, updateState } from './state.ts';
import { scanTreeFileName, sweepScanTrees, treeMemory, type TreeMemory } from './tree-memory.ts';

/**
 * Runs one scan end to end: walk every active policy (while the scan is created, or from a walk the
 * caller started while it checked in) into a tree file each, streaming (nothing of the tree is held
 * whole, scan-tree.ts), then deliver the trees (complete, sync what
 * the server lacks, complete again; a baseline or --full scan syncs with `have` rather than from the
 * remembered trees, so nodes shared with other servers are not re-sent). When the API is unreachable
 * the trees go to the spool; when the scan itself breaks the server is told (`fail`). A crash
 * anywhere leaves the server's scan pending, and the next run simply does it again: every step is
 * idempotent on the server.
 */

export interface ScanJob {
  /** The server's scan id; null to create one (kind must then be creatable by agents). */
  scanId: string | null;
  kind: ScanKind;
  policies: AgentPolicy[];
  /** Re-hash every file regardless of the cache. */
  full?: boolean;
  /** Spool without trying to upload: older results are still spooled and must reach the server first. */
  spoolOnly?: boolean;
}

export interface ScanRun {
  scanId: string | null;
  outcome: 'completed' | 'spooled' | 'failed' | 'dropped';
  filesScanned: number;
  bytesUploaded: number;
  scannedAt: string | null;
  /** True when the API could not be reached during this scan. */
  unreachable: boolean;
  error?: string;
}

/** Kinds an agent may create itself (CreateAgentScanSchema). */
export const CREATABLE_KINDS: readonly ScanKind[] = ['on-demand', 'agent-start', 'real-time'];

/** Creates a scan of `kind` on the server; answers its id. */
export async function createScan(ctx: AgentContext, kind: ScanKind, meter: ByteMeter): Promise<string> {
  const creatable = CREATABLE_KINDS.includes(kind) ? kind : 'on-demand';
  const res = await ctx.client.request<AgentScan>('POST', '/v1/agent/scans', { body: { kind: creatable }, meter });
  return res.body.id;
}

/**
 * Whether a scan re-hashes everything regardless of the cache: asked for (`scan --full`) or a
 * baseline rebuild. The periodic re-hash (`fullRehashEvery`) is the scan engine's own business.
 */
export const wantsFull = (job: Pick<ScanJob, 'full' | 'kind'>): boolean => job.full === true || job.kind === 'baseline';

/** Only policies that are not off are scanned (AgentPolicy.state is the effective state). */
export const activePolicies = (policies: readonly AgentPolicy[]): AgentPolicy[] => policies.filter((p) => p.state !== 'off');

async function reportFailure(ctx: AgentContext, scanId: string, error: string, meter: ByteMeter): Promise<void> {
  try {
    await ctx.client.request('POST', `/v1/agent/scans/${encodeURIComponent(scanId)}/fail`, { body: { error: error.slice(0, 2000) }, meter });
  } catch (e) {
    // The scan stays pending on the server and is retried at the next poll; nothing else to do.
    log.warn(`could not report failure of scan ${scanId}: ${errorMessage(e)}`);
  }
}

/** One policy walked: its counts, and its tree (root and file: scan-tree.ts). */
export interface WalkedPolicy extends PolicyScanResult {
  root: string;
  file: string;
}

/** What a walk of a scan's policies came to. */
export type WalkOutcome =
  | { ok: true; results: WalkedPolicy[]; scannedAt: string; walkMs: number }
  | { ok: false; error: unknown };

/** Removes the tree files of walked policies that will not be delivered. */
export function dropTrees(results: readonly { file: string }[]): void {
  for (const r of results) rmSync(r.file, { force: true });
}

/**
 * A walk of a scan's policies, started before (and running alongside) the scan's requests: the walk
 * yields to the event loop every few ms, so the answers are handled as they come in.
 */
export interface PolicyWalk {
  /** The policies the walk was started for (all of them; only those not `off` are walked). */
  readonly policies: AgentPolicy[];
  /** Whether it re-hashes every file (wantsFull). */
  readonly full: boolean;
  /** Settles once the walk ended; never rejects. */
  readonly done: Promise<WalkOutcome>;
  /** Stops the walk at its next entry (its hash caches are left as they were) and waits for it; drops its trees. */
  cancel(): Promise<void>;
}

export interface WalkOptions {
  /**
   * The enrollment: its memory of the accepted trees (tree-memory.ts) lets an unchanged scan write no
   * tree, and stands in where the walk cannot see. Without it every tree is written whole.
   */
  serverId?: string;
  /** Progress of the walk over all its policies. */
  progress?: Progress;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Starts walking `policies` (those not `off`). The walk itself begins on the next turn of the event
 * loop, so requests the caller starts in the same tick go out first.
 */
export function startWalk(stateDir: string, policies: AgentPolicy[], full: boolean, opts: WalkOptions = {}): PolicyWalk {
  const controller = new AbortController();
  const results: WalkedPolicy[] = [];
  const memory = opts.serverId ? treeMemory(stateDir, opts.serverId) : null;
  const done = (async (): Promise<WalkOutcome> => {
    await nextTurn();
    sweepScanTrees(stateDir);
    const started = performance.now();
    for (const policy of activePolicies(policies)) results.push(await walkPolicy(stateDir, policy, full, controller.signal, memory, opts));
    opts.progress?.finish();
    return { ok: true, results, scannedAt: new Date().toISOString(), walkMs: performance.now() - started };
  })().catch((error: unknown): WalkOutcome => {
    opts.progress?.finish();
    dropTrees(results);
    return { ok: false, error };
  });
  return {
    policies,
    full,
    done,
    async cancel() {
      controller.abort();
      const outcome = await done;
      if (outcome.ok) dropTrees(outcome.results);
    },
  };
}

/**
 * One policy: the walk streams its entries into its tree (written as it goes, or not at all while it
 * matches the remembered one); where the walk cannot see, the remembered entries stand in.
 */
async function walkPolicy(stateDir: string, policy: AgentPolicy, full: boolean, signal: AbortSignal, memory: TreeMemory | null, opts: WalkOptions): Promise<WalkedPolicy> {
  const remembered = memory?.file(policy.id) ?? null;
  const tree = new ScanTree(scanTreeFileName(stateDir, policy.id), remembered, opts.serverId);
  const platform = process.platform === 'win32' ? 'windows' : 'linux';
  const inScope = (path: string, entry: PathEntry[1]) => targetForPath(policy.targets, path, { platform, isDirectory: entry.type === 'directory' }) !== undefined;
  const lastKnown = new LastKnown(remembered, inScope);
  try {
    const result = await scanPolicy(policy, {
      cacheDir: paths(stateDir).cache,
      full,
      signal,
      sink: (entry) => tree.add(entry),
      carry: (unknown) => lastKnown.take(unknown),
      onProgress: opts.progress ? (p) => opts.progress!.update(policy.id, p) : undefined,
    });
    opts.progress?.update(policy.id, { entries: result.filesScanned, filesHashed: result.filesHashed, bytesHashed: result.bytesHashed });
    const { root, file } = tree.finish();
    if (result.carried > 0) log.info(`policy ${policy.name}: ${result.carried} entries the scan could not see keep their last known state`);
    return { ...result, root, file };
  } catch (error) {
    tree.abort();
    throw error;
  } finally {
    lastKnown.close();
  }
}

/** Whether a walk of `walked` is a walk of `policies`: the same policies, the same settings. */
export const samePolicies = (walked: readonly AgentPolicy[], policies: readonly AgentPolicy[]): boolean =>
  JSON.stringify(activePolicies(walked)) === JSON.stringify(activePolicies(policies));

/** Whether `walk` walks what `job` would: the same policies, re-hashing every file or not alike. */
export const walkFits = (walk: PolicyWalk, job: Pick<ScanJob, 'full' | 'kind' | 'policies'>): boolean =>
  walk.full === wantsFull(job) && samePolicies(walk.policies, job.policies);

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * Runs `job`. `opts.walk`: a walk of the job's policies already under way (started by the caller
 * while it checked in); it must fit the job (walkFits), else it is cancelled and the
 * policies walked anew.
 */
export async function runScan(ctx: AgentContext, job: ScanJob, opts: { walk?: PolicyWalk | null } = {}): Promise<ScanRun> {
  const meter: ByteMeter = { bytes: 0 };
  let scanId = job.scanId;
  let unreachable = false;
  const run = (outcome: ScanRun['outcome'], extra: Partial<ScanRun> = {}): ScanRun => ({
    scanId,
    outcome,
    filesScanned: 0,
    bytesUploaded: meter.bytes,
    scannedAt: null,
    unreachable,
    ...extra,
  });

  const full = wantsFull(job);
  let walk = opts.walk ?? null;
  if (walk && !walkFits(walk, job)) {
    await walk.cancel();
    walk = null;
  }
  // The walk runs while the scan is created (so the server shows it, and a broken walk can be reported).
  walk ??= startWalk(ctx.stateDir, job.policies, full, { serverId: ctx.credential.serverId, progress: scanProgress(ctx.stateDir, job.policies) });
  if (scanId === null && !job.spoolOnly) {
    try {
      scanId = await createScan(ctx, job.kind, meter);
    } catch (error) {
      if (!(error instanceof UnreachableError)) {
        await walk.cancel();
        throw error;
      }
      unreachable = true;
      log.warn(`${error.message}; scanning anyway, results will be spooled`);
    }
  }

  const walked = await walk.done;
  if (!walked.ok) {
    const reason = errorMessage(walked.error);
    const message = `scan failed: ${reason}`;
    log.error(scanId ? `scan ${scanId} failed: ${reason}` : message);
    if (scanId && !unreachable) await reportFailure(ctx, scanId, message, meter);
    return run('failed', { error: message });
  }
  const { results, scannedAt } = walked;
  const names = new Map(job.policies.map((p) => [p.id, p.name]));
  for (const result of results) {
    for (const e of result.errors ?? []) log.warn(`policy ${names.get(result.policyId) ?? result.policyId}: ${e.path ? `${e.path}: ` : ''}${e.message}`);
  }
  const filesScanned = results.reduce((sum, r) => sum + r.filesScanned, 0);
  const memory = treeMemory(ctx.stateDir, ctx.credential.serverId);
  const trees: PolicyTree[] = results.map((r) => ({ policyId: r.policyId, root: r.root, file: r.file, ...walkCounts(r) }));
  // What changed since the tree the server last accepted, as the agent sees it (before delivery moves it).
  for (const t of trees) reportChanges(memory.file(t.policyId), t.file, names.get(t.policyId) ?? t.policyId);

  if (scanId !== null && !unreachable && !job.spoolOnly) {
    try {
      await deliver(ctx.client, scanId, trees, scannedAt, meter, { memory, ignoreMemory: full });
      dropTrees(trees); // adopted as the memory by now; anything left is not needed
      recordLastScan(ctx.stateDir, scanId, scannedAt, filesScanned, meter.bytes);
      log.info(`scan ${scanId} (${job.kind}) delivered: ${filesScanned} files, ${meter.bytes} bytes sent (walk ${seconds(walked.walkMs)})`);
      return run('completed', { scannedAt, filesScanned });
    } catch (error) {
      if (error instanceof UnreachableError) {
        unreachable = true;
        log.warn(`${error.message}; spooling scan ${scanId}`);
      } else if (error instanceof ApiError || error instanceof ProtocolError) {
        dropTrees(trees);
        // The server refused this scan. Gone or closed (404/409): nothing to report. Anything else would
        // fail the same way at every poll, so close it as failed; the next scan finds the same changes.
        log.error(`scan ${scanId} not accepted: ${error.message}`);
        const closed = error instanceof ApiError && (error.status === 404 || error.status === 409);
        if (!closed) await reportFailure(ctx, scanId, `upload refused: ${error.message}`, meter);
        return run('failed', { scannedAt, filesScanned, error: error.message });
      } else {
        dropTrees(trees);
        throw error;
      }
    }
  }

  const spooled = addToSpool(ctx.stateDir, {
    version: 2,
    serverId: ctx.credential.serverId,
    scanId,
    kind: job.kind,
    scannedAt,
    results: trees,
  });
  if (!spooled) {
    dropTrees(trees);
    log.error(`spool is full: results of scan ${scanId ?? '(local)'} at ${scannedAt} dropped; the next scan reports the same changes`);
    return run('dropped', { scannedAt, filesScanned });
  }
  log.info(`scan ${scanId ?? '(local)'} spooled (${filesScanned} files)`);
  return run('spooled', { scannedAt, filesScanned });
}

export function recordLastScan(stateDir: string, scanId: string, at: string, filesScanned: number, bytesUploaded: number): void {
  updateState(stateDir, (s) => {
    s.lastScan = { scanId, at, filesScanned, bytesUploaded };
  });
}
