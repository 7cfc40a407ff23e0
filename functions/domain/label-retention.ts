/**
 * How long label history is kept (Tanium's rule): records older than 30 days are gone; over 1,000,000
 * records in a tenant the oldest go first; but every record is kept at least 72 hours. Expiry by age is
 * a TTL attribute on each record (DynamoDB deletes lazily, so readers filter it too); the cap is applied
 * on read from each record's tenant-wide sequence number: a record is over the cap when at least
 * `maxRecords` records were written after it.
 */
export interface LabelRetention {
  maxAgeDays: number;
  maxRecords: number;
  minAgeHours: number;
}

export const LABEL_HISTORY_RETENTION: LabelRetention = { maxAgeDays: 30, maxRecords: 1_000_000, minAgeHours: 72 };

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The TTL value (epoch seconds) of a record made at `appliedAt`. */
export function expiresAtOf(appliedAt: string, retention: LabelRetention = LABEL_HISTORY_RETENTION): number {
  return Math.ceil((Date.parse(appliedAt) + retention.maxAgeDays * DAY_MS) / 1000);
}

/** What a reader keeps at `now`, given the latest sequence number written in the tenant. */
export interface Visibility {
  /** Records whose expiresAt is at or before this (epoch seconds) are gone. */
  expiredAtOrBefore: number;
  /** Records with a sequence number above this are within the cap. */
  minSeqExclusive: number;
  /** Records made at or after this are kept whatever the cap says. */
  keptSince: string;
}

export function visibilityAt(now: Date, latestSeq: number, retention: LabelRetention = LABEL_HISTORY_RETENTION): Visibility {
  return {
    expiredAtOrBefore: Math.floor(now.getTime() / 1000),
    minSeqExclusive: latestSeq - retention.maxRecords,
    keptSince: new Date(now.getTime() - retention.minAgeHours * HOUR_MS).toISOString(),
  };
}

/** Whether a record is still visible (the same test the store's FilterExpression makes). */
export function isVisible(record: { expiresAt: number; seq: number; appliedAt: string }, visibility: Visibility): boolean {
  if (record.expiresAt <= visibility.expiredAtOrBefore) return false;
  return record.seq > visibility.minSeqExclusive || record.appliedAt >= visibility.keptSince;
}
