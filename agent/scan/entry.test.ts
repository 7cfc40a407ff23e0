import { describe, expect, it } from 'vitest';
import { isoTime, modeString } from './entry.ts';

describe('entry formatting', () => {
  it('isoTime equals Date#toISOString, including negative and fractional times', () => {
    const samples = [0, -0.5, 0.999, 999.9, -1, -1000.25, 1623053350500, 1732230000123.4567, 951782400000, 253402300799999, -62167219200000];
    for (let i = 0; i < 2000; i++) samples.push((i * 7919.123457 - 5000) * 1e8 + (i % 1000) / 7);
    for (const ms of samples) expect(isoTime(ms)).toBe(new Date(Math.trunc(ms)).toISOString());
    for (const ms of samples) expect(isoTime(ms)).toBe(new Date(ms).toISOString()); // second pass: cached prefixes
  });

  it('isoTime keeps years outside 0000-9999 valid and clamps the impossible', () => {
    expect(isoTime(253402300800000)).toBe('+010000-01-01T00:00:00.000Z');
    expect(isoTime(1e20)).toBe(new Date(8.64e15).toISOString());
    expect(isoTime(Number.NaN)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('modeString keeps the permission and special bits as four octal digits', () => {
    expect(modeString(0o100644)).toBe('0644');
    expect(modeString(0o40755)).toBe('0755');
    expect(modeString(0o104755)).toBe('4755');
    expect(modeString(0o41777)).toBe('1777');
    expect(modeString(0o100000)).toBe('0000');
  });
});
