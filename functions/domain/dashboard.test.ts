import { describe, expect, it } from 'vitest';
import { daysBetween, summarize, type DayCounters } from './dashboard.ts';

const day = (d: string, over: Partial<DayCounters>): DayCounters => ({ day: d, total: 0, added: 0, modified: 0, removed: 0, renamed: 0, critical: 0, normal: 0, servers: {}, labels: {}, ...over });

describe('dashboard summary', () => {
  it('adds shards and days, ranks servers and labels, and fills every day of the series', () => {
    const summary = summarize(
      [
        day('2026-12-01', { total: 3, added: 1, modified: 2, normal: 3, servers: { s1: { total: 3, hostname: 'web-1' } }, labels: { lbl_expected: 2 } }),
        day('2026-12-01', { total: 1, removed: 1, critical: 1, servers: { s2: { total: 1, hostname: 'db-1' } } }),
        day('2026-12-03', { total: 2, renamed: 2, normal: 2, servers: { s2: { total: 2, hostname: 'db-2' } }, labels: { lbl_expected: -1, lbl_important: 1 } }),
      ],
      '2026-11-30',
      '2026-12-03',
    );
    expect(summary.changes).toEqual({ total: 6, added: 1, modified: 2, removed: 1, renamed: 2 });
    expect(summary.bySeverity).toEqual({ critical: 1, normal: 5 });
    expect(summary.byServer).toEqual([
      { serverId: 's1', hostname: 'web-1', total: 3 },
      { serverId: 's2', hostname: 'db-2', total: 3 },
    ]);
    expect(summary.byLabel).toEqual([
      { labelId: 'lbl_expected', total: 1 },
      { labelId: 'lbl_important', total: 1 },
    ]);
    expect(summary.series).toEqual([
      { date: '2026-11-30', total: 0 },
      { date: '2026-12-01', total: 4 },
      { date: '2026-12-02', total: 0 },
      { date: '2026-12-03', total: 2 },
    ]);
  });

  it('counts days inclusively', () => {
    expect(daysBetween('2026-12-31', '2027-01-02')).toEqual(['2026-12-31', '2027-01-01', '2027-01-02']);
  });
});
