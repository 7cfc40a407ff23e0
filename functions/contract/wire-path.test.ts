import { describe, expect, it } from 'vitest';
import { decodeWirePath, encodeWireName, encodeWirePath, wirePathProblem } from './wire-path.ts';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('wire paths', () => {
  it('keeps valid UTF-8 names as they are, backslashes included', () => {
    for (const name of ['/etc/passwd', '/srv/café/naïve.txt', '/tmp/日本語', 'C:\\Windows\\win.ini', '/odd\\name', '/100%/%i.service']) {
      expect(encodeWirePath(Buffer.from(name, 'utf8'))).toBe(name);
      expect(encodeWireName(name)).toBe(name);
    }
  });

  it('escapes bytes that are not UTF-8, and control characters, as \\xHH', () => {
    expect(encodeWirePath(bytes('/etc/cron.d/evil-', [0xff], '.conf'))).toBe('/etc/cron.d/evil-\\xff.conf');
    expect(encodeWirePath(bytes('/a', [0x0a], 'b'))).toBe('/a\\x0ab');
    expect(encodeWirePath(bytes('/a', [0x7f]))).toBe('/a\\x7f');
    expect(encodeWirePath(bytes('/a', [0xc2, 0x85]))).toBe('/a\\xc2\\x85'); // C1 NEL
    expect(encodeWirePath(bytes('/a', [0xe0, 0x80, 0x80]))).toBe('/a\\xe0\\x80\\x80'); // overlong
    expect(encodeWirePath(bytes('/a', [0xed, 0xa0, 0x80]))).toBe('/a\\xed\\xa0\\x80'); // surrogate
    expect(encodeWirePath(bytes('/a', [0xe2, 0x82]))).toBe('/a\\xe2\\x82'); // truncated
  });

  it('escapes a literal backslash only where it would read as an escape', () => {
    expect(encodeWirePath(bytes('/a\\xff'))).toBe('/a\\x5cxff');
    expect(encodeWirePath(bytes('/a\\xZZ'))).toBe('/a\\xZZ');
  });

  it('is reversible for any bytes', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let n = 0; n < 2000; n++) {
      const length = Math.floor(random() * 12);
      const pool = [0x00, 0x0a, 0x2f, 0x41, 0x5c, 0x78, 0x66, 0x30, 0x7f, 0x80, 0xc2, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xf0, 0x9f, 0xff];
      const input = Buffer.from(Array.from({ length }, () => pool[Math.floor(random() * pool.length)]!));
      const wire = encodeWirePath(input);
      expect(decodeWirePath(wire).equals(input)).toBe(true);
      expect(wire).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(Buffer.from(wire, 'utf8').toString('utf8')).toBe(wire); // valid UTF-8 text
    }
  });

  it('names what makes a path unacceptable', () => {
    expect(wirePathProblem('/etc/shadow')).toBeNull();
    expect(wirePathProblem('/')).toBeNull();
    expect(wirePathProblem('C:\\Windows\\x')).toBeNull();
    expect(wirePathProblem('/T/../../etc/shadow')).toMatch(/\.\./);
    expect(wirePathProblem('/T/./x')).toMatch(/\./);
    expect(wirePathProblem('/T//x')).toMatch(/empty/);
    expect(wirePathProblem('/T/x/')).toMatch(/empty/);
    expect(wirePathProblem('/T/a\nb')).toMatch(/control/);
    expect(wirePathProblem('relative')).toMatch(/absolute/);
    expect(wirePathProblem('/T/a\\x0ab')).toBeNull();
  });
});
