import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, retry, type BackoffOptions, type RetryDeps } from '../../agent/backoff.ts';

const opts: BackoffOptions = { attempts: 5, baseMs: 100, capMs: 1000, budgetMs: 3000 };

/** A clock that only moves when the retry loop sleeps. */
function fakeDeps(random: () => number): RetryDeps & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    random,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter below the ceiling', () => {
    expect([0, 1, 2, 3, 4, 5].map((r) => backoffDelay(r, opts, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, opts, () => 0)).toBe(0);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2, opts);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(400);
    }
  });

  it('honours a floor (Retry-After) but never the cap', () => {
    expect(backoffDelay(0, opts, () => 0, 500)).toBe(500);
    expect(backoffDelay(0, opts, () => 0, 60_000)).toBe(1000);
  });

  it('keeps the default schedule well under 20 s of waiting', () => {
    const worst = Array.from({ length: DEFAULT_BACKOFF.attempts - 1 }, (_, r) => backoffDelay(r, DEFAULT_BACKOFF, () => 0.999999));
    expect(worst.reduce((a, b) => a + b, 0)).toBeLessThan(20_000);
    expect(DEFAULT_BACKOFF.budgetMs).toBeLessThanOrEqual(20_000);
  });
});

describe('retry', () => {
  const retryable = () => ({ retry: true as const });

  it('returns the first success', async () => {
    const deps = fakeDeps(() => 0.5);
    let calls = 0;
    const value = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new Error('flaky');
        return 'ok';
      },
      retryable,
      opts,
      deps,
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(deps.slept).toEqual([50, 100]);
  });

  it('gives up after the attempts, rethrowing the last error', async () => {
    const deps = fakeDeps(() => 0.5);
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error(`down ${calls}`);
        },
        retryable,
        opts,
        deps,
      ),
    ).rejects.toThrow('down 5');
    expect(calls).toBe(5);
    expect(deps.slept).toHaveLength(4);
  });

  it('does not retry a final error', async () => {
    const deps = fakeDeps(() => 0.5);
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('bad request');
        },
        () => ({ retry: false }),
        opts,
        deps,
      ),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
  });

  it('stops when the next wait would pass the budget', async () => {
    const deps = fakeDeps(() => 0.999999);
    let calls = 0;
    const tight = { attempts: 10, baseMs: 1000, capMs: 1000, budgetMs: 2500 };
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('down');
        },
        retryable,
        tight,
        deps,
      ),
    ).rejects.toThrow('down');
    expect(deps.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2500);
    expect(calls).toBe(3);
  });
});
