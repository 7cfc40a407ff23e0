import { TooManyRequestsError } from '../shared/problem.ts';
import { minuteWindow } from '../domain/rate-window.ts';
import { countRefusal, countWithinLimit, type RateLimitName } from '../store/rate-windows.ts';
import { recordAudit, type AuditRecord } from './record-audit.ts';

export interface MinuteLimit {
  name: RateLimitName;
  perMinute: number;
  /** What is limited, for the refusal's message ("enrollments"). */
  what: string;
  /** The setting that holds the limit, so the message says where to change it. */
  setting: string;
}

/**
 * Counts one request against a per-minute limit of the tenant; above it throws a 429 whose Retry-After
 * is the start of the next minute. The first refusal of each minute goes into the audit trail (`refusal`),
 * so a flood of refused requests writes one entry a minute, not one per request.
 */
export async function enforceMinuteLimit(tenantId: string, limit: MinuteLimit, refusal: AuditRecord, now: Date): Promise<void> {
  const window = minuteWindow(now);
  if (await countWithinLimit(tenantId, limit.name, window, limit.perMinute)) return;
  if ((await countRefusal(tenantId, limit.name, window)) === 1) {
    await recordAudit(tenantId, { ...refusal, details: { ...refusal.details, limitPerMinute: limit.perMinute } }, now);
  }
  throw new TooManyRequestsError(
    `The tenant allows ${limit.perMinute} ${limit.what} a minute (setting ${limit.setting}); try again in ${window.retryAfterSeconds} s.`,
    window.retryAfterSeconds,
  );
}
