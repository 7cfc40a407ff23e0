import type { AgentPolicy } from '../../functions/contract/agent.schemas.ts';
import { cachedPolicies, checkIn, type CheckInResult } from '../check-in.ts';
import { ApiError, RejectedCredentialError, UnreachableError } from '../client.ts';
import { openContext, type AgentContext } from '../context.ts';
import { flushSpool } from '../flush-spool.ts';
import { errorMessage, log } from '../log.ts';
import { scanProgress } from '../progress.ts';
import { runScan, startWalk, walkFits, type PolicyWalk, type ScanJob, type ScanRun } from '../run-scan.ts';
import { SerialQueue } from '../serial-queue.ts';
import { spoolCount } from '../spool.ts';
import { updateState, type Watching } from '../state.ts';
import { onTermination, StopSignal } from '../stop-signal.ts';
import { targetFilter } from '../target-filter.ts';
import { warnIfNothingToScan } from './policy-coverage.ts';
import { RealTimeWatcher } from '../watch.ts';

/**
 * `run`: the agent's service loop. Check in, send what is spooled, run the pending scans in order,
 * sleep checkInIntervalSeconds, repeat; meanwhile watch real-time policies and scan them as they
 * change. `--once` does one round of all that and exits: 0, or 3 when results stayed spooled. While
 * its check-in is under way, `--once` already walks the policies of the last config received: the
 * first pending scan uses that walk when the config is unchanged and the scan is not a full re-hash;
 * otherwise (or when nothing is pending) the walk is stopped and dropped.
 */

/** Real-time policies that cannot be watched are scanned this often instead. */
const FALLBACK_SCAN_MS = 5 * 60_000;
/** How long a stop waits for the current upload before abandoning it (safe: the server keeps it pending). */
const STOP_GRACE_MS = 10_000;

/** Runs a scan after everything spooled: results reach the server in the order they were taken. */
async function scanInOrder(ctx: AgentContext, job: ScanJob, walk: PolicyWalk | null = null): Promise<ScanRun> {
  let blocked = false;
  try {
    if (spoolCount(ctx.stateDir) > 0) blocked = (await flushSpool(ctx)).remaining > 0;
  } catch (error) {
    await walk?.cancel();
    throw error;
  }
  return runScan(ctx, { ...job, spoolOnly: blocked }, { walk });
}

/** A bounded set of the most recent ids (a long-running service must not grow without end). */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}
  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
  }
  has(id: string): boolean {
    return this.ids.has(id);
  }
}

export async function runCommand(stateDir: string, once: boolean): Promise<number> {
  const ctx = openContext(stateDir);
  const queue = new SerialQueue();
  const stop = new StopSignal();
  let fatal: unknown = null;
  const held = cachedPolicies(stateDir);
  let policies: AgentPolicy[] = held ?? [];
  /** --once: the walk started during the first check-in, until a pending scan takes it or it is dropped. */
  let ahead: PolicyWalk | null = null;
  const dropAhead = async () => {
    const walk = ahead;
    ahead = null;
    await walk?.cancel();
  };
  let watching: Watching = 'off';
  let starting = true;
  let coverageToldFor: string | null = null;
  let intervalSeconds = 60;
  let lastFallbackScan = Date.now();
  const delivered = new RecentIds(1000);

  const removeHandlers = onTermination(stop, STOP_GRACE_MS, () => log.info('stopping'));

  /** Work started outside the main loop (real-time triggers): a rejected credential stops the agent. */
  const background = (what: string, task: Promise<unknown> | null) => {
    task?.catch((error) => {
      if (error instanceof RejectedCredentialError) {
        fatal = error;
        stop.trigger();
      } else log.error(`${what}: ${errorMessage(error)}`);
    });
  };

  /** A real-time policy changed: scan just that policy, once per burst. */
  const scanRealTime = (policyId: string) => {
    if (stop.stopped) return;
    background(
      `real-time scan of policy ${policyId}`,
      queue.runOnce(`real-time:${policyId}`, async () => {
        const policy = policies.find((p) => p.id === policyId && p.state === 'real-time');
        if (!policy || stop.stopped) return;
        const run = await scanInOrder(ctx, { scanId: null, kind: 'real-time', policies: [policy] });
        if (run.outcome === 'completed' && run.scanId) delivered.add(run.scanId);
      }),
    );
  };

  const watcher = once ? null : new RealTimeWatcher({ filterFor: targetFilter, ignore: [stateDir], onChange: scanRealTime });

  const recordWatching = (value: Watching) => {
    watching = value;
    updateState(stateDir, (s) => {
      s.watching = { value, pid: process.pid };
    });
  };
  let watchedIds = new Set<string>();
  /**
   * (Re)starts watching. A policy that was not watched until now gets one catch-up scan: changes made
   * while nothing watched it (agent stopped, policy just switched to real-time) are reported at once.
   */
  const applyWatch = () => {
    if (!watcher) return;
    recordWatching(watcher.update(policies));
    const now = new Set(watcher.policyIds());
    for (const id of now) if (!watchedIds.has(id)) scanRealTime(id);
    watchedIds = now;
  };
  applyWatch();

  try {
    while (!stop.stopped) {
      // A watch can also fail later (a directory tree grown past the inotify limit).
      if (watcher && watcher.status() !== watching) recordWatching(watcher.status());
      let answer: CheckInResult | null = null;
      const sent: Watching = watching;
      try {
        const checking = checkIn(ctx, { starting, watching: watcher ? watching : undefined });
        if (once && held) ahead = startWalk(stateDir, held, false, { serverId: ctx.credential.serverId, progress: scanProgress(stateDir, held) });
        answer = await checking;
        starting = false;
      } catch (error) {
        if (error instanceof UnreachableError) {
          log.warn(error.message);
          if (once) return 3;
        } else if (once || !(error instanceof ApiError)) throw error;
        // An answer the agent does not understand: keep the service up and try again next interval.
        else log.error(error.message);
      }

      if (answer) {
        intervalSeconds = answer.checkInIntervalSeconds;
        if (answer.configChanged) {
          policies = answer.policies;
          applyWatch();
        }
        // Said once per config and process: a service must not repeat it every interval.
        if (answer.configVersion !== coverageToldFor) {
          coverageToldFor = answer.configVersion;
          warnIfNothingToScan(stateDir, policies);
        }
        // The walk under way is of no use without a pending scan it fits: stop it before anything else.
        const first = answer.pendingScans[0];
        if (ahead && (!first || !walkFits(ahead, { kind: first.kind, policies }))) await dropAhead();
        try {
          if (spoolCount(stateDir) > 0) for (const id of (await queue.run(() => flushSpool(ctx))).sentScanIds) delivered.add(id);
          for (const pending of answer.pendingScans) {
            if (stop.stopped) break;
            // The server lists a scan until its backend worker has ingested it, a moment after
            // `complete`: one this process already delivered is not walked again.
            if (delivered.has(pending.id)) continue;
            log.info(`running ${pending.kind} scan ${pending.id}`);
            const job: ScanJob = { scanId: pending.id, kind: pending.kind, policies };
            // The walk under way goes to the first scan that runs (runScan checks that it fits).
            const walk = ahead;
            ahead = null;
            const run = await queue.run(() => scanInOrder(ctx, job, walk));
            if (run.outcome === 'completed') delivered.add(pending.id);
          }
        } catch (error) {
          // The service keeps going (the server still lists what was not done); --once reports it.
          if (once || error instanceof RejectedCredentialError) throw error;
          log.error(errorMessage(error));
        }
      }

      await dropAhead();
      if (once) {
        await queue.idle();
        const left = spoolCount(stateDir);
        if (left > 0) log.warn(`${left} scan(s) stay spooled until the API is reachable`);
        return left > 0 ? 3 : 0;
      }

      if (watcher?.rewatchWanted) applyWatch();
      const unwatched = watcher?.unwatched() ?? [];
      if (unwatched.length > 0 && Date.now() - lastFallbackScan >= FALLBACK_SCAN_MS) {
        lastFallbackScan = Date.now();
        for (const id of unwatched) scanRealTime(id);
      }
      // A changed watching status is reported at once rather than a whole interval later.
      if (answer && watching !== sent) continue;
      await stop.sleep(intervalSeconds * 1000);
    }
  } finally {
    await dropAhead();
    removeHandlers();
    watcher?.close();
    if (watcher) {
      updateState(stateDir, (s) => {
        s.watching = null;
      });
    }
  }
  await queue.idle();
  if (fatal) throw fatal;
  log.info('stopped');
  return 0;
}
