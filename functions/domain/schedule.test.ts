import { describe, expect, it } from 'vitest';
import { latestSlot, nextSlotAfter } from './schedule.ts';

const at = (iso: string) => new Date(iso);

describe('latestSlot', () => {
  it('daily: today when the time has passed, yesterday otherwise', () => {
    expect(latestSlot({ frequency: 'daily', time: '02:00' }, at('2026-11-21T02:00:30Z'))?.toISOString()).toBe('2026-11-21T02:00:00.000Z');
    expect(latestSlot({ frequency: 'daily', time: '02:00' }, at('2026-11-21T01:59:00Z'))?.toISOString()).toBe('2026-11-20T02:00:00.000Z');
  });
  it('hourly uses the minutes only', () => {
    expect(latestSlot({ frequency: 'hourly', time: '00:15' }, at('2026-11-21T10:14:00Z'))?.toISOString()).toBe('2026-11-21T09:15:00.000Z');
  });
  it('weekly lands on the named day', () => {
    // 2026-11-21 is a Saturday.
    expect(latestSlot({ frequency: 'weekly', time: '03:00', dayOfWeek: 'monday' }, at('2026-11-21T12:00:00Z'))?.toISOString()).toBe('2026-11-16T03:00:00.000Z');
    expect(latestSlot({ frequency: 'weekly', time: '03:00', dayOfWeek: 'saturday' }, at('2026-11-21T02:00:00Z'))?.toISOString()).toBe('2026-11-14T03:00:00.000Z');
  });
  it('off has no slot', () => expect(latestSlot({ frequency: 'off' }, at('2026-11-21T00:00:00Z'))).toBeNull());
});

describe('nextSlotAfter', () => {
  it('is the first slot strictly after the time', () => {
    expect(nextSlotAfter({ frequency: 'daily', time: '02:00' }, at('2026-11-21T02:00:00Z'))?.toISOString()).toBe('2026-11-22T02:00:00.000Z');
    expect(nextSlotAfter({ frequency: 'daily', time: '02:00' }, at('2026-11-21T01:59:59Z'))?.toISOString()).toBe('2026-11-21T02:00:00.000Z');
    expect(nextSlotAfter({ frequency: 'hourly', time: '00:15' }, at('2026-11-21T10:14:00Z'))?.toISOString()).toBe('2026-11-21T10:15:00.000Z');
    // 2026-11-21 is a Saturday: the next Wednesday is the 25th.
    expect(nextSlotAfter({ frequency: 'weekly', time: '00:00', dayOfWeek: 'wednesday' }, at('2026-11-21T12:00:00Z'))?.toISOString()).toBe('2026-11-25T00:00:00.000Z');
  });
  it('off has none', () => expect(nextSlotAfter({ frequency: 'off' }, at('2026-11-21T00:00:00Z'))).toBeNull());
});
