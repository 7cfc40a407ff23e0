/**
 * When the label sync works on a destination (pure; the schedule tick and the worker apply it):
 * every `labeledEventSyncIntervalMinutes` after its last attempt; after a failure, exponential backoff with
 * jitter (1, 2, 4 ... minutes, at most an hour, each drawn from its upper half) unless the receiver asked for
 * longer with Retry-After; at once on send-now. A run owed but not done within the queue's visibility
 * timeout is owed again (its message was lost, or its worker died).
 */
export const RETRY_BASE_MS = 60_000;
export const RETRY_CAP_MS = 3_600_000;
/** A receiver's Retry-After is honoured up to a day. */
export const RETRY_AFTER_CAP_MS = 86_400_000;

/** How long to wait before attempt number `failures + 1`, given `failures` in a row (>= 1). */
export function retryDelayMs(failures: number, random: () => number = Math.random, retryAfterSeconds?: number): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  // "Equal jitter": never less than half the backoff, so retries thin out, and spread over the other half.
  const backoff = ceiling / 2 + random() * (ceiling / 2);
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(RETRY_AFTER_CAP_MS, retryAfterSeconds * 1000);
  return Math.round(Math.max(backoff, asked));
}

/** The part of a destination's state the schedule reads. */
export interface SyncSchedule {
  enabled: boolean;
  createdAt: string;
  lastAttemptAt?: string | null;
  /** Set after a failure: when to try again. */
  retryAt?: string | null;
  /** Set while a run is owed (by the tick or send-now), cleared by the run. */
  owedAt?: string | null;
}

export type SyncAction = 'none' | 'owe' | 'resend';

/** What the tick at `now` does for a destination: nothing, owe it a run (then wake the worker), or wake the worker again. */
export function syncAction(dest: SyncSchedule, intervalMinutes: number, now: Date, visibilityMs: number): SyncAction {
  if (!dest.enabled) return 'none';
  const t = now.getTime();
  if (dest.owedAt) return t - Date.parse(dest.owedAt) >= visibilityMs ? 'resend' : 'none';
  if (dest.retryAt) return Date.parse(dest.retryAt) <= t ? 'owe' : 'none';
  const last = Date.parse(dest.lastAttemptAt ?? dest.createdAt);
  return last + intervalMinutes * 60_000 <= t ? 'owe' : 'none';
}
