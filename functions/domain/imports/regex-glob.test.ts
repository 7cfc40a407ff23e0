import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { globHasWildcard, regexToGlob, unescapeGlob } from './regex-glob.ts';

const glob = (regex: string) => {
  const out = regexToGlob(regex);
  if ('problem' in out) throw new Error(out.problem);
  return out;
};
const matches = (pattern: string, name: string) => picomatch.makeRe(pattern, { dot: true }).test(name);

describe('regexToGlob', () => {
  it('translates the idioms of AIDE and OSSEC rules', () => {
    expect(glob('/etc/ssh/ssh_host_.*_key$')).toEqual({ glob: '/etc/ssh/ssh_host_*_key', anchoredStart: false, anchoredEnd: true });
    expect(glob('^/etc$')).toEqual({ glob: '/etc', anchoredStart: true, anchoredEnd: true });
    expect(glob('/usr/lib/python3\\.11').glob).toBe('/usr/lib/python3.11');
    expect(glob('/etc/[^/]*\\.conf$').glob).toBe('/etc/*.conf');
    expect(glob('/x/\\d+\\.\\w').glob).toBe('/x/+([0-9]).[A-Za-z0-9_]');
    expect(glob('/a(b|c)d').glob).toBe('/a@(b|c)d');
    expect(glob('/a(?:b)+').glob).toBe('/a+(b)');
    expect(glob('/var/.+').glob).toBe('/var/?*');
  });

  it('gives globs that match what the regex matches', () => {
    const rotated = glob('.*\\.[0-9]+(\\.gz)?$').glob;
    expect(rotated).toBe('*.+([0-9])?(.gz)');
    for (const name of ['syslog.1', 'syslog.12.gz']) expect(matches(rotated, name), name).toBe(true);
    for (const name of ['syslog', 'syslog.gz', 'syslog.1.bz2']) expect(matches(rotated, name), name).toBe(false);
  });

  it('escapes characters that are literal in the regex but special in a glob', () => {
    const out = glob('/opt/a\\{b\\}\\*').glob;
    expect(out).toBe('/opt/a\\{b\\}\\*');
    expect(globHasWildcard(out)).toBe(false);
    expect(unescapeGlob(out)).toBe('/opt/a{b}*');
  });

  it('names what has no glob equivalent', () => {
    expect(regexToGlob('/x{2}')).toEqual({ problem: expect.stringMatching(/counted repetition/) });
    expect(regexToGlob('/a|/b')).toEqual({ problem: expect.stringMatching(/alternation/) });
    expect(regexToGlob('/a\\sb')).toEqual({ problem: '\\s has no glob equivalent' });
    expect(regexToGlob('/a(?=b)')).toEqual({ problem: expect.stringMatching(/look-around/) });
    expect(regexToGlob('/a$b')).toEqual({ problem: '$ before the end of the expression' });
    expect(regexToGlob('/a(b')).toEqual({ problem: 'unbalanced (' });
    expect(regexToGlob('/a[b')).toEqual({ problem: 'unbalanced [' });
  });
});
