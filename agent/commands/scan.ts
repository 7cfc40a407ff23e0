import type { AgentScan } from '../../functions/contract/agent.schemas.ts';
import { cachedPolicies, checkIn } from '../check-in.ts';
import { UnreachableError } from '../client.ts';
import { openContext, type AgentContext } from '../context.ts';
import { flushSpool } from '../flush-spool.ts';
import { log } from '../log.ts';
import { scanProgress } from '../progress.ts';
import { runScan, startWalk, walkFits, type PolicyWalk, type ScanRun } from '../run-scan.ts';
import { warnIfNothingToScan } from './policy-coverage.ts';

/** How long `scan` waits for the backend's diff of the scan (its worker runs asynchronously). */
const STATS_WAIT_MS = 30_000;

type Stats = NonNullable<AgentScan['stats']>;

/** First wait for the stats: the backend ingests an unchanged scan in 15-40 ms. */
const STATS_FIRST_POLL_MS = 50;
const STATS_MAX_POLL_MS = 500;

/** Polls the scan until the backend has its stats; null when they do not come in time. */
async function waitForStats(ctx: AgentContext, scanId: string): Promise<{ stats: Stats | null; scan: AgentScan | null }> {
  const deadline = Date.now() + STATS_WAIT_MS;
  let delay = STATS_FIRST_POLL_MS;
  let scan: AgentScan | null = null;
  while (Date.now() < deadline) {
    try {
      scan = (await ctx.client.request<AgentScan>('GET', `/v1/agent/scans/${encodeURIComponent(scanId)}`)).body;
    } catch (error) {
      if (error instanceof UnreachableError) break;
      throw error;
    }
    if (scan.status === 'failed') return { stats: null, scan };
    if (scan.status === 'completed' && scan.stats) return { stats: scan.stats, scan };
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, deadline - Date.now())));
    delay = Math.min(Math.round(delay * 1.5), STATS_MAX_POLL_MS);
  }
  return { stats: null, scan };
}

/**
 * Checks in, sends what is spooled and runs the scan; answers its run (offline: taken with the last
 * config received), or 3 when there is nothing to scan with. The walk starts at once with that last
 * config, while the check-in is under way; runScan drops it if the check-in brought other policies.
 */
async function checkInAndScan(ctx: AgentContext, full: boolean): Promise<{ run: ScanRun; offline: boolean } | 3> {
  const held = cachedPolicies(ctx.stateDir);
  const checking = checkIn(ctx, { starting: false });
  let walk: PolicyWalk | null = held ? startWalk(ctx.stateDir, held, full, { serverId: ctx.credential.serverId, progress: scanProgress(ctx.stateDir, held) }) : null;
  try {
    let policies;
    let offline = false;
    try {
      policies = (await checking).policies;
    } catch (error) {
      if (!(error instanceof UnreachableError)) throw error;
      if (held === null) {
        log.error(`${error.message}; no config received yet, nothing to scan`);
        return 3;
      }
      log.warn(`${error.message}; scanning with the last config received`);
      policies = held;
      offline = true;
    }
    warnIfNothingToScan(ctx.stateDir, policies);
    const job = { scanId: null, kind: 'on-demand' as const, policies, full };
    // A walk of other policies is stopped before the spool is sent, not left running through it.
    if (walk && !walkFits(walk, job)) {
      await walk.cancel();
      walk = null;
    }
    // Older spooled results go first; if they cannot, this one must queue behind them.
    const flushed = offline ? null : await flushSpool(ctx);
    const spoolOnly = offline || (flushed !== null && flushed.remaining > 0);
    const ahead = walk;
    walk = null; // runScan owns it from here
    return { run: await runScan(ctx, { ...job, spoolOnly }, { walk: ahead }), offline };
  } finally {
    await walk?.cancel();
  }
}

/**
 * `scan`: check in for config, send anything spooled, run an on-demand scan, wait for the backend's
 * counts and print one JSON line. Without the API it scans with the last config and spools (exit 3).
 */
export async function scanCommand(stateDir: string, full: boolean): Promise<number> {
  const ctx = openContext(stateDir);
  const done = await checkInAndScan(ctx, full);
  if (done === 3) return 3;
  const { run, offline } = done;

  const summary = {
    scanId: run.scanId,
    filesScanned: run.filesScanned,
    added: 0,
    modified: 0,
    removed: 0,
    renamed: 0,
    bytesUploaded: run.bytesUploaded,
  };
  if (run.outcome === 'completed' && run.scanId) {
    const { stats, scan } = await waitForStats(ctx, run.scanId);
    if (stats) {
      process.stdout.write(`${JSON.stringify({ ...summary, ...stats, bytesUploaded: run.bytesUploaded })}\n`);
      return 0;
    }
    if (scan?.status === 'failed') {
      process.stdout.write(`${JSON.stringify({ ...summary, status: 'failed', error: scan.error ?? 'failed' })}\n`);
      log.error(`scan ${run.scanId} failed on the server: ${scan.error ?? 'no reason given'}`);
      return 1;
    }
    log.warn(`scan ${run.scanId} delivered; the backend has not reported its counts yet`);
    process.stdout.write(`${JSON.stringify({ ...summary, pending: true })}\n`);
    return 0;
  }
  if (run.outcome === 'failed') {
    process.stdout.write(`${JSON.stringify({ ...summary, status: 'failed', error: run.error ?? 'failed' })}\n`);
    return 1;
  }
  // spooled or dropped: the API was unreachable.
  process.stdout.write(`${JSON.stringify({ ...summary, pending: true, spooled: run.outcome === 'spooled' })}\n`);
  if (!run.unreachable && !offline) log.warn('results spooled behind older spooled scans');
  return 3;
}
