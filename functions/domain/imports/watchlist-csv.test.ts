import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EntryAttribute } from '../../contract/entry.ts';
import { newTarget } from '../../contract/target-defaults.ts';
import { ImportFormatError } from './import-result.ts';
import { parseWatchlistCsv } from './watchlist-csv.ts';

const read = (name: string) => readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
const linux = { platform: 'linux' } as const;
const windows = { platform: 'windows' } as const;

describe("watchlist CSV: Tanium's documented example (CRLF, rows one field short)", () => {
  const parsed = parseWatchlistCsv(read('watchlist-tanium-example.csv'), windows);

  it('imports each path with the attributes its ops choose and its exclusions, one by one', () => {
    expect(parsed.targets).toEqual([
      // create, delete, write, rename on; permission empty (off).
      { line: 2, target: newTarget('C:\\autoexec.bat', { attributes: ['content', 'size', 'mtime', 'ctime', 'inode', 'linkTarget', 'type'] }) },
      // Continuation rows add directory exclusions.
      {
        line: 3,
        target: newTarget('C:\\Windows', {
          attributes: ['content', 'size', 'mtime', 'ctime', 'inode', 'linkTarget', 'type'],
          exclude: ['NtServicePackUninstall/', 'NtUninstall/', 'Help/'],
        }),
      },
      // write and rename off, permission on: metadata only; the "every file" exclusion cannot keep directories.
      { line: 6, target: newTarget('C:\\Windows\\assembly', { attributes: ['mode', 'owner', 'group', 'type'] }) },
    ]);
  });

  it('skips the repeated path and notes what it read differently', () => {
    expect(parsed.skipped).toEqual([{ line: 7, reason: 'C:\\autoexec.bat is already imported from line 2' }]);
    expect(parsed.notes).toEqual([
      { line: 2, message: "one field short: read without ops_permission, as in Tanium's examples" },
      { line: 3, message: "one field short: read without ops_permission, as in Tanium's examples" },
      { line: 6, message: 'file exclusion * (every file, keeping directories) has no equivalent: not applied' },
      { line: 7, message: "one field short: read without ops_permission, as in Tanium's examples" },
    ]);
  });

  it('into a Linux policy, every Windows path is skipped with the reason', () => {
    const intoLinux = parseWatchlistCsv(read('watchlist-tanium-example.csv'), linux);
    expect(intoLinux.targets).toEqual([]);
    expect(intoLinux.skipped.map((s) => s.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(intoLinux.skipped[0]!.reason).toBe('C:\\autoexec.bat is a Windows path; this policy is for linux');
    expect(intoLinux.skipped[2]!.reason).toBe('the path above (line 3) was skipped');
  });
});

describe('watchlist CSV: a Linux watchlist', () => {
  const parsed = parseWatchlistCsv(read('watchlist-linux.csv'), linux);
  const ALL = ['content', 'size', 'mode', 'owner', 'group', 'mtime', 'ctime', 'inode', 'linkTarget', 'type'] as const satisfies readonly EntryAttribute[];
  const all = [...ALL];

  it('imports each path, one by one', () => {
    expect(parsed.targets).toEqual([
      // name pattern, relative directory, absolute file below the target (anchored).
      { line: 2, target: newTarget('/etc', { attributes: all, exclude: ['*.swp', 'ssl/private/', '/mtab'] }) },
      { line: 5, target: newTarget('/usr/local/bin', { attributes: all.filter((a) => a !== 'inode') }) },
      { line: 6, target: newTarget('/opt/app data', { attributes: ['mode', 'owner', 'group', 'type'], exclude: ['cache/'] }) },
      { line: 10, target: newTarget('/root/.ssh/authorized_keys', { attributes: all }) },
    ]);
  });

  it('skips each line it cannot import, with its line number and why', () => {
    expect(parsed.skipped).toEqual([
      { line: 7, reason: '/srv/cache is not below /var/www' },
      { line: 8, reason: 'ops_write: expected on or off, got "maybe"' },
      { line: 9, reason: 'the path above (line 8) was skipped' },
      { line: 11, reason: 'every operation is off: nothing to monitor' },
    ]);
  });
});

describe('watchlist CSV: files that cannot be read', () => {
  it('an unclosed quote: 400 naming the line', () => {
    expect(() => parseWatchlistCsv('path,ops_create\n/etc,on\n"/usr,on\n', linux)).toThrow(expect.objectContaining({ line: 3 }));
  });

  it('no header: names line 1', () => {
    expect(() => parseWatchlistCsv('/etc,on,on,on,on,on,,\n', linux)).toThrow(new ImportFormatError(1, 'the first line must be the header (path,ops_create,ops_delete,ops_write,ops_rename,ops_permission,excludes_type,excludes_spec); it has no "path" column'));
    expect(() => parseWatchlistCsv('', linux)).toThrow(ImportFormatError);
  });

  it('a quoted field over several lines keeps the line numbers of the rows after it', () => {
    const parsed = parseWatchlistCsv('path,ops_create,ops_delete,ops_write,ops_rename,ops_permission\n"/a\nb",on,on,on,on,on\n/c,on,on,on,on,on\n', linux);
    expect(parsed.targets.map((t) => [t.line, t.target.path])).toEqual([[4, '/c']]);
    expect(parsed.skipped).toEqual([{ line: 2, reason: expect.stringMatching(/control character/) }]);
  });
});
