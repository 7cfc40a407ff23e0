import { describe, expect, it } from 'vitest';
import { expiresAtOf, isVisible, visibilityAt, type LabelRetention } from './label-retention.ts';

const retention: LabelRetention = { maxAgeDays: 30, maxRecords: 3, minAgeHours: 72 };
const now = new Date('2026-12-31T00:00:00.000Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
const record = (appliedAt: string, seq: number) => ({ appliedAt, seq, expiresAt: expiresAtOf(appliedAt, retention) });

describe('label history retention', () => {
  it('a record expires 30 days after it was made', () => {
    const v = visibilityAt(now, 1, retention);
    expect(isVisible(record(daysAgo(29.9), 1), v)).toBe(true);
    expect(isVisible(record(daysAgo(30), 1), v)).toBe(false);
    expect(isVisible(record(daysAgo(31), 1), v)).toBe(false);
  });

  it('over the cap the oldest go first, but none younger than 72 hours', () => {
    // seq 1..6; the cap keeps the newest 3 (4, 5, 6); 1 and 2 are old, 3 is 2 days old so it stays.
    const records = [record(daysAgo(10), 1), record(daysAgo(9), 2), record(daysAgo(2), 3), record(daysAgo(1), 4), record(daysAgo(0.5), 5), record(daysAgo(0.1), 6)];
    const v = visibilityAt(now, 6, retention);
    expect(records.map((r) => isVisible(r, v))).toEqual([false, false, true, true, true, true]);
  });

  it('under the cap nothing but age removes a record', () => {
    const v = visibilityAt(now, 2, retention);
    expect(isVisible(record(daysAgo(20), 1), v)).toBe(true);
  });
});
