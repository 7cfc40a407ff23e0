import { describe, expect, it } from 'vitest';
import { addHours, alertWindowOf, clockTime, hourOf } from './alert-timing.ts';
import { changesForProfile, eventsLink, isAlerting } from './alert-selection.ts';

describe('alert timing', () => {
  it('puts changes of the same window together, and the next window apart', () => {
    const a = alertWindowOf(new Date('2026-12-01T10:15:05Z'), 60);
    const b = alertWindowOf(new Date('2026-12-01T10:15:59.999Z'), 60);
    const c = alertWindowOf(new Date('2026-12-01T10:16:00Z'), 60);
    expect(a.index).toBe(b.index);
    expect(c.index).toBe(a.index + 1);
    expect(a.start.toISOString()).toBe('2026-12-01T10:15:00.000Z');
    expect(a.end.toISOString()).toBe('2026-12-01T10:16:00.000Z');
    expect(alertWindowOf(new Date('2026-12-01T10:15:05Z'), 300).end.toISOString()).toBe('2026-12-01T10:20:00.000Z');
  });

  it('buckets flood control by UTC hour', () => {
    expect(hourOf(new Date('2026-12-01T10:59:59.999Z')).toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(addHours(hourOf(new Date('2026-12-01T23:30:00Z')), 1).toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(clockTime(new Date('2026-12-01T09:05:00Z'))).toBe('09:05');
  });
});

describe('alert selection', () => {
  const policies = new Map([['pol_1', { targets: [{ path: '/etc', alert: true }, { path: '/var/cache', alert: false }] }]]);

  it('alerts on targets with alert: true, never on alert: false; a target gone since still alerts', () => {
    expect(isAlerting({ policyId: 'pol_1', targetPath: '/etc' }, policies)).toBe(true);
    expect(isAlerting({ policyId: 'pol_1', targetPath: '/var/cache' }, policies)).toBe(false);
    expect(isAlerting({ policyId: 'pol_1', targetPath: '/gone' }, policies)).toBe(true);
    expect(isAlerting({ policyId: 'pol_gone', targetPath: '/etc' }, policies)).toBe(true);
  });

  it('tells a profile only the severities it takes', () => {
    const changes = [{ severity: 'critical' as const, id: 1 }, { severity: 'normal' as const, id: 2 }];
    expect(changesForProfile(changes, { severities: ['critical'] }).map((c) => c.id)).toEqual([1]);
    expect(changesForProfile(changes, { severities: ['critical', 'normal'] }).map((c) => c.id)).toEqual([1, 2]);
  });

  it('builds links on the base URL, leaving out empty parameters', () => {
    expect(eventsLink('https://c.example/', { serverId: 'srv_1', from: '2026-12-01T10:00:00.000Z', severity: undefined })).toBe(
      'https://c.example/v1/events?serverId=srv_1&from=2026-12-01T10%3A00%3A00.000Z',
    );
  });
});
