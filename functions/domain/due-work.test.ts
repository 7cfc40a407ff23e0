import { describe, expect, it } from 'vitest';
import { doneWith, dueAction, scheduledFrom, wakeAt, type DueState } from './due-work.ts';
import type { ScanSchedule } from './schedule.ts';

const at = (iso: string) => new Date(iso);
const daily: ScanSchedule = { frequency: 'daily', time: '02:00' };
const timing = { retryMs: 6 * 60_000 };

/** Runs the tick's decision and applies what it would write. */
function tick(state: DueState, now: string, schedule = daily, t = timing) {
  const decision = dueAction(schedule, state, at(now), t);
  return { decision, state: decision.action === 'none' ? state : decision.next };
}

describe('dueAction: each slot claimed once, a late tick claims one slot', () => {
  it('claims the slot at its time, and a second tick of the same minute claims nothing', () => {
    const state = scheduledFrom(daily, at('2026-11-20T10:00:00Z'));
    expect(state.nextDueAt).toBe('2026-11-21T02:00:00.000Z');
    expect(tick(state, '2026-11-21T01:59:00Z').decision.action).toBe('none');
    const first = tick(state, '2026-11-21T02:00:00Z');
    expect(first.decision).toMatchObject({ action: 'claim', slot: '2026-11-21T02:00:00.000Z' });
    expect(first.state).toEqual({ nextDueAt: '2026-11-22T02:00:00.000Z', owedSlot: '2026-11-21T02:00:00.000Z', owedRetryAt: '2026-11-21T02:06:00.000Z' });
    expect(tick(first.state, '2026-11-21T02:00:30Z').decision.action).toBe('none');
  });

  it('after an outage of three days, claims the latest slot once (late), not one per missed slot', () => {
    const state = scheduledFrom(daily, at('2026-11-20T10:00:00Z'));
    const late = tick(state, '2026-11-24T09:30:00Z');
    expect(late.decision).toMatchObject({ action: 'claim', slot: '2026-11-24T02:00:00.000Z' });
    expect(late.state.nextDueAt).toBe('2026-11-25T02:00:00.000Z');
    const done = doneWith(late.state, '2026-11-24T02:00:00.000Z')!;
    expect(tick(done, '2026-11-24T09:31:00Z').decision.action).toBe('none');
  });

  it('resends an owed slot whose work is not done a visibility timeout later, and nothing once it is done', () => {
    const claimed = tick(scheduledFrom(daily, at('2026-11-20T10:00:00Z')), '2026-11-21T02:00:00Z').state;
    expect(tick(claimed, '2026-11-21T02:05:00Z').decision.action).toBe('none');
    const resent = tick(claimed, '2026-11-21T02:06:00Z');
    expect(resent.decision).toMatchObject({ action: 'resend', slot: '2026-11-21T02:00:00.000Z' });
    expect(resent.state.owedRetryAt).toBe('2026-11-21T02:12:00.000Z');
    const done = doneWith(resent.state, '2026-11-21T02:00:00.000Z')!;
    expect(done).toEqual({ nextDueAt: '2026-11-22T02:00:00.000Z' });
    expect(tick(done, '2026-11-21T02:30:00Z').decision.action).toBe('none');
  });

  it('a newer slot supersedes an owed one; finishing the older slot then clears nothing', () => {
    const hourly = { frequency: 'hourly' as const, time: '00:00' };
    const first = tick(scheduledFrom(hourly, at('2026-11-21T09:30:00Z')), '2026-11-21T10:00:00Z', hourly).state;
    const second = tick(first, '2026-11-21T11:00:00Z', hourly);
    expect(second.decision).toMatchObject({ action: 'claim', slot: '2026-11-21T11:00:00.000Z' });
    expect(doneWith(second.state, '2026-11-21T10:00:00.000Z')).toBeNull();
  });

  it('moves a nextDueAt that is no slot of the schedule on, claiming nothing', () => {
    const decision = dueAction(daily, { nextDueAt: '2026-11-21T03:00:00.000Z' }, at('2026-11-21T03:00:00Z'), timing);
    expect(decision).toEqual({ action: 'reschedule', next: { nextDueAt: '2026-11-22T02:00:00.000Z' } });
  });
});

describe('wakeAt: when the tick must look at the item', () => {
  it('is the next slot, or the owed retry when that is earlier, or never', () => {
    expect(wakeAt({ nextDueAt: '2026-11-22T02:00:00.000Z' })).toBe('2026-11-22T02:00:00.000Z');
    expect(wakeAt({ nextDueAt: '2026-11-22T02:00:00.000Z', owedSlot: '2026-11-21T02:00:00.000Z', owedRetryAt: '2026-11-21T02:06:00.000Z' })).toBe('2026-11-21T02:06:00.000Z');
    expect(wakeAt({})).toBeUndefined();
  });
});

describe('weekly report boundaries: Tanium\'s two examples', () => {
  // A report covers from the previous report time to the time it is claimed for.
  const sunday = { frequency: 'weekly' as const, time: '00:00', dayOfWeek: 'sunday' };
  const wednesday = { frequency: 'weekly' as const, time: '00:00', dayOfWeek: 'wednesday' };
  const DAY = 86_400_000;
  /** Claims the report of a Sunday, then changes to Wednesday `changedAfterDays` later; answers the days the next report covers. */
  function nextReportDays(changedAfterDays: number): number {
    // 2026-11-22 is a Sunday.
    const first = dueAction(sunday, scheduledFrom(sunday, at('2026-11-18T12:00:00Z')), at('2026-11-22T00:00:00Z'), timing);
    if (first.action !== 'claim') throw new Error('no Sunday report');
    const done = doneWith(first.next, first.slot)!;
    const changedAt = new Date(Date.parse(first.slot) + changedAfterDays * DAY + 9 * 3_600_000);
    const afterChange = { ...done, nextDueAt: scheduledFrom(wednesday, changedAt).nextDueAt };
    // Nothing until the first Wednesday after the change (the old Sunday, when it comes first, passes without a report).
    expect(dueAction(wednesday, afterChange, new Date(Date.parse(afterChange.nextDueAt!) - 60_000), timing).action).toBe('none');
    const next = dueAction(wednesday, afterChange, new Date(afterChange.nextDueAt!), timing);
    if (next.action !== 'claim') throw new Error('no Wednesday report');
    return (Date.parse(next.slot) - Date.parse(first.slot)) / DAY;
  }

  it('changed on Tuesday to Wednesday: the first Wednesday report covers 3 days', () => expect(nextReportDays(2)).toBe(3));
  it('changed on Thursday to Wednesday: the first Wednesday report covers 10 days', () => expect(nextReportDays(4)).toBe(10));
});
