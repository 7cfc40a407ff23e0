/**
 * Event retention (the tenant's `eventRetentionDays`): an event is kept that many days after it was
 * detected. The expiry is fixed when the event is stored, from the setting at that moment, so a change
 * of the setting applies to events stored afterwards. DynamoDB's TTL deletes expired items lazily (and
 * the local store never), so every reader also filters them: an expired event is not served.
 */
const DAY_MS = 86_400_000;

/** The retention of a tenant that did not set one (CONTRACT: eventRetentionDays default 90). */
export const DEFAULT_EVENT_RETENTION_DAYS = 90;

/** The TTL value (epoch seconds) of an event detected at `detectedAt` under a retention of `days`. */
export function eventExpiresAt(detectedAt: string, days: number): number {
  return Math.ceil((Date.parse(detectedAt) + days * DAY_MS) / 1000);
}

/** Whether an item with this TTL value is expired at `now` (items stored without one never expire). */
export function isExpired(expiresAt: unknown, now: Date): boolean {
  return typeof expiresAt === 'number' && expiresAt <= Math.floor(now.getTime() / 1000);
}
