import { describe, expect, it } from 'vitest';
import { retryDelayMs, syncAction, RETRY_CAP_MS } from './sync-timing.ts';

describe('retryDelayMs', () => {
  it('doubles from one minute up to an hour, each drawn from the upper half of its step', () => {
    expect(retryDelayMs(1, () => 0)).toBe(30_000);
    expect(retryDelayMs(1, () => 1)).toBe(60_000);
    expect(retryDelayMs(3, () => 0)).toBe(120_000);
    expect(retryDelayMs(3, () => 1)).toBe(240_000);
    expect(retryDelayMs(30, () => 1)).toBe(RETRY_CAP_MS);
    expect(retryDelayMs(30, () => 0)).toBe(RETRY_CAP_MS / 2);
  });

  it('waits as long as a Retry-After asks, up to a day', () => {
    expect(retryDelayMs(1, () => 0, 600)).toBe(600_000);
    expect(retryDelayMs(1, () => 0, 10)).toBe(30_000);
    expect(retryDelayMs(1, () => 0, 10 * 86_400)).toBe(86_400_000);
  });
});

describe('syncAction', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
  const base = { enabled: true, createdAt: ago(600) };

  it('owes a run once the interval has passed since the last one (or the creation)', () => {
    expect(syncAction({ ...base, lastAttemptAt: ago(29) }, 30, now, 720_000)).toBe('none');
    expect(syncAction({ ...base, lastAttemptAt: ago(30) }, 30, now, 720_000)).toBe('owe');
    expect(syncAction({ enabled: true, createdAt: ago(5) }, 30, now, 720_000)).toBe('none');
    expect(syncAction({ enabled: true, createdAt: ago(31) }, 30, now, 720_000)).toBe('owe');
  });

  it('after a failure, waits for the backoff rather than the interval', () => {
    expect(syncAction({ ...base, lastAttemptAt: ago(1), retryAt: ago(0) }, 30, now, 720_000)).toBe('owe');
    expect(syncAction({ ...base, lastAttemptAt: ago(40), retryAt: ago(-1) }, 30, now, 720_000)).toBe('none');
  });

  it('wakes again a run owed longer than the visibility timeout; a disabled destination never', () => {
    expect(syncAction({ ...base, owedAt: ago(5) }, 30, now, 720_000)).toBe('none');
    expect(syncAction({ ...base, owedAt: ago(12) }, 30, now, 720_000)).toBe('resend');
    expect(syncAction({ ...base, enabled: false, lastAttemptAt: ago(600) }, 30, now, 720_000)).toBe('none');
  });
});
