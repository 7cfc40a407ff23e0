import { describe, expect, it } from 'vitest';
import { eventExpiresAt, isExpired } from './retention.ts';

describe('event retention', () => {
  it('expires an event `days` after it was detected', () => {
    const expiresAt = eventExpiresAt('2026-11-01T10:00:00.000Z', 7);
    expect(new Date(expiresAt * 1000).toISOString()).toBe('2026-11-08T10:00:00.000Z');
    expect(isExpired(expiresAt, new Date('2026-11-08T09:59:59Z'))).toBe(false);
    expect(isExpired(expiresAt, new Date('2026-11-08T10:00:00Z'))).toBe(true);
  });
  it('never expires an item stored without an expiry', () => expect(isExpired(undefined, new Date('2100-01-01T00:00:00Z'))).toBe(false));
});
