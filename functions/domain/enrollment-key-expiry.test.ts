import { describe, expect, it } from 'vitest';
import { enrollmentKeyExpired, enrollmentKeyExpiresAt } from './enrollment-key-expiry.ts';

const tenant = { createdAt: '2026-01-01T00:00:00.000Z', enrollmentKeyIssuedAt: '2026-06-01T00:00:00.000Z' };

describe('enrollment key expiry', () => {
  it('never without a maximum age', () => {
    expect(enrollmentKeyExpiresAt({ ...tenant, settings: {} })).toBeNull();
    expect(enrollmentKeyExpired({ ...tenant, settings: { enrollmentKeyMaxAgeDays: null } }, new Date('2099-01-01'))).toBe(false);
  });

  it('counts from the last issue, or from the tenant\'s creation when that was never recorded', () => {
    expect(enrollmentKeyExpiresAt({ ...tenant, settings: { enrollmentKeyMaxAgeDays: 30 } })).toBe('2026-07-01T00:00:00.000Z');
    expect(enrollmentKeyExpiresAt({ createdAt: tenant.createdAt, settings: { enrollmentKeyMaxAgeDays: 1 } })).toBe('2026-01-02T00:00:00.000Z');
    expect(enrollmentKeyExpired({ ...tenant, settings: { enrollmentKeyMaxAgeDays: 30 } }, new Date('2026-06-30T23:59:59.999Z'))).toBe(false);
    expect(enrollmentKeyExpired({ ...tenant, settings: { enrollmentKeyMaxAgeDays: 30 } }, new Date('2026-07-01T00:00:00.000Z'))).toBe(true);
  });
});
