/**
 * Fixed one-minute windows for per-tenant rate limits: every request of the same UTC minute counts on
 * one counter. Simple and cheap (one conditional write per request); the price is that a burst straddling
 * a minute boundary can pass up to twice the limit within 60 s, which a limit meant to stop a runaway
 * (not to meter) can afford.
 */
export interface RateWindow {
  /** `2026-12-01T12:34`: names the counter of this minute. */
  id: string;
  /** Whole seconds until the next window opens (at least 1): the Retry-After of a refusal. */
  retryAfterSeconds: number;
  /** Epoch seconds after which the counter is of no use (DynamoDB TTL removes it some time later). */
  expiresAt: number;
}

const MINUTE_MS = 60_000;

/** The one-minute window `now` falls in. */
export function minuteWindow(now: Date): RateWindow {
  const start = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  const end = start + MINUTE_MS;
  return {
    id: new Date(start).toISOString().slice(0, 16),
    retryAfterSeconds: Math.max(1, Math.ceil((end - now.getTime()) / 1000)),
    expiresAt: Math.floor(end / 1000) + 3600,
  };
}
