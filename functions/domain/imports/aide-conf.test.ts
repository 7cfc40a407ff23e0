import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENTRY_ATTRIBUTES } from '../../contract/entry.ts';
import { newTarget } from '../../contract/target-defaults.ts';
import { parseAideConf } from './aide-conf.ts';
import { ImportFormatError } from './import-result.ts';

const sample = readFileSync(new URL('./samples/aide-debian.conf', import.meta.url), 'utf8');
const linux = { platform: 'linux' } as const;

/** The attributes of this build among `wanted` (nlink, acl, xattrs, caps arrive with the agent's new fields). */
const supported = (...wanted: string[]) => ENTRY_ATTRIBUTES.filter((a) => wanted.includes(a));
const FULL = [...ENTRY_ATTRIBUTES];
const L = supported('mode', 'type', 'inode', 'linkTarget', 'nlink', 'owner', 'group', 'acl', 'xattrs', 'caps');
const VAR_DIR = supported('mode', 'owner', 'group', 'type', 'nlink', 'inode', 'acl', 'xattrs', 'caps');
const VAR_FILE = supported('mode', 'owner', 'group', 'type', 'nlink', 'linkTarget', 'acl', 'xattrs', 'caps');
const LOG = supported('mode', 'owner', 'group', 'type', 'nlink', 'size', 'acl', 'xattrs', 'caps');

describe('AIDE import: a Debian aide.conf excerpt', () => {
  const parsed = parseAideConf(sample, linux);
  const target = (line: number) => parsed.targets.find((t) => t.line === line)?.target;
  const skipped = (line: number) => parsed.skipped.find((s) => s.line === line)?.reason;
  const notes = (line: number) => parsed.notes.filter((n) => n.line === line).map((n) => n.message);

  it('turns each selection line into its target, one by one', () => {
    expect(parsed.targets.map((t) => t.line)).toEqual([39, 40, 43, 44, 45, 46, 47, 49, 50, 54]);
    expect(target(39)).toEqual(newTarget('/boot', { attributes: FULL }));
    // !/etc/mtab$ and !/etc/.*~$ become excludes of /etc: anchored, and a name pattern at any depth.
    expect(target(40)).toEqual(newTarget('/etc', { attributes: FULL, exclude: ['/mtab', '*~'] }));
    expect(target(43)).toEqual(newTarget('/usr/bin', { attributes: FULL }));
    expect(target(44)).toEqual(newTarget('/usr/sbin', { attributes: FULL }));
    // `$`: the entry only (on merged-/usr Debian /bin is the link itself).
    expect(target(45)).toEqual(newTarget('/bin', { attributes: L, recursive: false, exclude: ['*'] }));
    // =/var/log$: the directory, not its children; the rotated-log exclusion lands on it too.
    expect(target(46)).toEqual(newTarget('/var/log', { attributes: VAR_DIR, recursive: false, exclude: ['*', '*.+([0-9])?(.gz)'] }));
    // The rotated-log regex matches term.log.1 as well, so it excludes it here too.
    expect(target(47)).toEqual(newTarget('/var/log/apt/term.log?(.1)', { attributes: LOG, recursive: false, exclude: ['*.+([0-9])?(.gz)'] }));
    expect(target(49)).toEqual(newTarget('/etc/ssh/ssh_host_*_key', { attributes: FULL, recursive: false, exclude: ['*~'] }));
    // @@{RUN} from @@define; `\\.` is the config escape of `\.`.
    expect(target(50)).toEqual(newTarget('/run/sshd.pid', { attributes: VAR_FILE, recursive: false, exclude: ['*'] }));
    expect(target(54)).toEqual(newTarget('/opt/app data', { attributes: FULL }));
  });

  it('reports every line it cannot carry over, with the reason', () => {
    expect(parsed.skipped.map((s) => s.line)).toEqual([6, 34, 51, 52, 53, 56]);
    expect(skipped(6)).toMatch(/@@x_include_setenv is not followed/);
    expect(skipped(34)).toMatch(/not in effect: inside @@ifhost sparc \(line 33\)/);
    expect(skipped(51)).toMatch(/wildcard may appear in the last path segment only/);
    expect(skipped(52)).toMatch(/counted repetition/);
    expect(skipped(53)).toMatch(/unknown attribute or rule Foo/);
    expect(skipped(56)).toMatch(/import the included files separately/);
  });

  it('notes options, group definitions and what has no equivalent', () => {
    expect(notes(9)).toEqual([expect.stringMatching(/AIDE option database_in is not used/)]);
    expect(notes(26)[0]).toMatch(/^rule Full: .*content.*; no equivalent for .*b \(block count\).*selinux/);
    expect(notes(33)).toEqual([expect.stringMatching(/read as for a host other than sparc/)]);
    expect(notes(41)).toEqual(['exclude /mtab on /etc']);
    expect(notes(45)).toEqual([expect.stringMatching(/file type restriction l is not applied/)]);
    // Every line with content is accounted for: a target, a skip, a note, or a structural @@ line.
    const accounted = new Set([...parsed.targets, ...parsed.skipped, ...parsed.notes].map((x) => x.line));
    sample.split('\n').forEach((raw, i) => {
      const text = raw.trim();
      if (text && !text.startsWith('#') && !/^@@(define|else|endif)\b/.test(text)) expect(accounted.has(i + 1), `line ${i + 1}: ${text}`).toBe(true);
    });
  });
});

describe('AIDE import: rules and edge cases', () => {
  it('evaluates rules left to right, with - removing attributes', () => {
    const parsed = parseAideConf('Base = p+u+g+s+m+sha256\n/srv Base-m-sha256\n', linux);
    expect(parsed.targets[0]!.target.attributes).toEqual(['size', 'mode', 'owner', 'group']);
  });

  it('skips a selection whose attributes have no equivalent at all', () => {
    const parsed = parseAideConf('/var/cache a+b\n', linux);
    expect(parsed.targets).toEqual([]);
    expect(parsed.skipped).toEqual([{ line: 1, reason: expect.stringMatching(/no attribute a target compares/) }]);
  });

  it('keeps lines in a false @@ifdef out, and those in its @@else in', () => {
    const parsed = parseAideConf('@@ifdef NOPE\n/a R\n@@else\n/b R\n@@endif\n', linux);
    expect(parsed.targets.map((t) => t.target.path)).toEqual(['/b']);
    expect(parsed.skipped).toEqual([{ line: 2, reason: expect.stringMatching(/inside @@ifdef NOPE/) }]);
  });

  it('a second selection of the same path is skipped, naming the first', () => {
    const parsed = parseAideConf('/etc R\n/etc L\n', linux);
    expect(parsed.skipped).toEqual([{ line: 2, reason: '/etc is already imported from line 1' }]);
  });

  it('an exclusion outside every imported selection is skipped', () => {
    const parsed = parseAideConf('/etc R\n!/var/tmp\n', linux);
    expect(parsed.skipped).toEqual([{ line: 2, reason: 'no imported selection contains /var' }]);
  });

  it('a Windows policy takes none of the POSIX paths', () => {
    const parsed = parseAideConf('/etc R\n', { platform: 'windows' });
    expect(parsed.targets).toEqual([]);
    expect(parsed.skipped[0]!.reason).toMatch(/not a Windows path/);
  });

  it('cannot read a file whose @@if blocks do not balance, or that is not AIDE configuration', () => {
    expect(() => parseAideConf('/etc R\n@@endif\n', linux)).toThrow(new ImportFormatError(2, '@@endif without a matching @@if'));
    expect(() => parseAideConf('# x\n@@ifdef A\n/etc R\n', linux)).toThrow(new ImportFormatError(2, '@@ifdef A has no @@endif'));
    expect(() => parseAideConf('\n<syscheck>\n', linux)).toThrow(new ImportFormatError(2, 'not an AIDE configuration: no selection, rule, option or @@ directive'));
    expect(() => parseAideConf('/etc R\n\u0000\u0001', linux)).toThrow(ImportFormatError);
  });
});
