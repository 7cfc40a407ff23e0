import { describe, expect, it } from 'vitest';
import { minuteWindow } from './rate-window.ts';

describe('minuteWindow', () => {
  it('names the UTC minute and says how long until the next one', () => {
    expect(minuteWindow(new Date('2026-12-01T12:34:00.000Z'))).toEqual({ id: '2026-12-01T12:34', retryAfterSeconds: 60, expiresAt: Date.parse('2026-12-01T12:35:00Z') / 1000 + 3600 });
    expect(minuteWindow(new Date('2026-12-01T12:34:45.200Z'))).toMatchObject({ id: '2026-12-01T12:34', retryAfterSeconds: 15 });
  });

  it('never tells a client to retry in 0 seconds', () => {
    expect(minuteWindow(new Date('2026-12-01T12:34:59.999Z'))).toMatchObject({ id: '2026-12-01T12:34', retryAfterSeconds: 1 });
  });
});
