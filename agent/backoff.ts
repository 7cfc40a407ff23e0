/**
 * Retry with exponential backoff and full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): a fleet of agents that lost the API at the same moment must not come back in lockstep.
 * Bounded in attempts and in total wait, so a dead API turns into "unreachable" (exit 3, spool) quickly.
 */

export interface BackoffOptions {
  /** Total tries including the first. */
  attempts: number;
  /** Ceiling of the first delay. */
  baseMs: number;
  /** Ceiling of any single delay. */
  capMs: number;
  /** No retry is started once the time already spent plus the next delay would pass this. */
  budgetMs: number;
}

/** Up to ~7.5 s of waiting over 5 tries; never more than 20 s of waits in total. */
export const DEFAULT_BACKOFF: BackoffOptions = { attempts: 5, baseMs: 500, capMs: 8000, budgetMs: 20_000 };

/**
 * The wait before retry number `retry` (0 for the first retry): uniform in [0, min(cap, base * 2^retry)].
 * `floorMs` (e.g. a server's Retry-After) raises the wait, still capped.
 */
export function backoffDelay(retry: number, opts: BackoffOptions, random: () => number = Math.random, floorMs = 0): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, retry));
  const jittered = Math.floor(random() * ceiling);
  return Math.min(opts.capMs, Math.max(jittered, floorMs));
}

/** What a failed try tells the retry loop. */
export type RetryVerdict = { retry: false } | { retry: true; afterMs?: number };

export interface RetryDeps {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random: () => number;
}

const realDeps: RetryDeps = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  random: Math.random,
};

/**
 * Runs `fn` until it succeeds, `classify` says the error is final, or the attempts/budget run out;
 * then rethrows the last error.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryVerdict,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  deps: RetryDeps = realDeps,
): Promise<T> {
  const started = deps.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const verdict = classify(error);
      if (!verdict.retry || attempt + 1 >= opts.attempts) throw error;
      const delay = backoffDelay(attempt, opts, deps.random, verdict.afterMs ?? 0);
      if (deps.now() - started + delay > opts.budgetMs) throw error;
      await deps.sleep(delay);
    }
  }
}
