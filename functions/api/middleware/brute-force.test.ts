import { describe, expect, it } from 'vitest';
import { failureSource } from './brute-force.ts';

describe('failureSource: who an invalid credential counts against', () => {
  it('an IPv4 address as itself, also when IPv4-mapped', () => {
    expect(failureSource('203.0.113.7')).toBe('203.0.113.7');
    expect(failureSource('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('an IPv6 address by its /64, so the addresses of one host count together', () => {
    expect(failureSource('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(failureSource('2001:db8:1:2:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(failureSource('2001:db8:1:3::1')).not.toBe(failureSource('2001:db8:1:2::1'));
  });

  it('an address the runtime did not give, or not an address, as one shared source', () => {
    expect(failureSource(undefined)).toBe('unknown');
    expect(failureSource('not-an-ip')).toBe('unknown');
  });
});
