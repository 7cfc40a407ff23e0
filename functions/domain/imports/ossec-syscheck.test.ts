import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENTRY_ATTRIBUTES } from '../../contract/entry.ts';
import { newTarget } from '../../contract/target-defaults.ts';
import { ImportFormatError } from './import-result.ts';
import { parseOssecSyscheck } from './ossec-syscheck.ts';

const sample = readFileSync(new URL('./samples/ossec-default.conf', import.meta.url), 'utf8');
const linux = { platform: 'linux' } as const;
const windows = { platform: 'windows' } as const;
const ALL = [...ENTRY_ATTRIBUTES];
const ETC_IGNORES = ['/mtab', '/hosts.deny', '/mail/statistics', '/random-seed', '/random.seed', '/adjtime', '/httpd/logs', '/utmpx', '/wtmpx', '/cups/certs', '/dumpdates', '/svc/volatile'];
const TYPES = ['*.log', '*.swp'];

describe('OSSEC/Wazuh import: the default ossec.conf syscheck block, and a site block', () => {
  const parsed = parseOssecSyscheck(sample, linux);
  const target = (path: string) => parsed.targets.find((t) => t.target.path === path);
  const notes = (line: number) => parsed.notes.filter((n) => n.line === line).map((n) => n.message);

  it('turns each <directories> path into a target, one by one, with the ignores as excludes', () => {
    expect(parsed.targets.map((t) => [t.line, t.target.path])).toEqual([
      [25, '/etc'], [25, '/usr/bin'], [25, '/usr/sbin'], [26, '/bin'], [26, '/sbin'], [26, '/boot'], [77, '/var/www'], [78, '/etc/nginx'],
    ]);
    expect(target('/etc')!.target).toEqual(newTarget('/etc', { attributes: ALL, exclude: [...ETC_IGNORES, ...TYPES] }));
    for (const path of ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/boot']) expect(target(path)!.target).toEqual(newTarget(path, { attributes: ALL, exclude: TYPES }));
    expect(target('/var/www')!.target).toEqual(newTarget('/var/www', { attributes: ALL, exclude: TYPES, description: 'Wazuh tags: web' }));
    // check_all="no" with three checks; recursion_level 0; restrict as include patterns.
    expect(target('/etc/nginx')!.target).toEqual(
      newTarget('/etc/nginx', { attributes: ['content', 'mode', 'owner'], recursive: false, include: ['*.conf', '*nginx.conf*'], exclude: TYPES }),
    );
  });

  it('skips, with the line and the reason, what it cannot carry over', () => {
    expect(parsed.skipped).toEqual([
      { line: 41, reason: '/sys/kernel/security is not under any imported directory' },
      { line: 42, reason: '/proc is not under any imported directory' },
      { line: 79, reason: 'check_size: expected yes or no, got "maybe"' },
      { line: 80, reason: '<windows_registry>: the agent does not read the Windows registry yet' },
      { line: 81, reason: 'unknown syscheck option <whodata_provider>' },
    ]);
  });

  it('notes what is a policy or group setting here, or has no equivalent', () => {
    expect(notes(20)).toEqual(['<frequency>: the scan schedule is set on the server group (scanSchedule)']);
    expect(notes(22)).toEqual(['<scan_on_start>: scans at agent start are set on the server group (scanOnAgentStart)']);
    expect(notes(48)[0]).toMatch(/^<nodiff>/);
    expect(notes(62)[0]).toMatch(/^<synchronization>/);
    expect(notes(77)).toEqual([expect.stringMatching(/^realtime: /), expect.stringMatching(/^report_changes: /)]);
  });
});

describe('OSSEC/Wazuh import: details', () => {
  it('reads a bare <syscheck> block, and check_* switched off one by one', () => {
    const parsed = parseOssecSyscheck('<syscheck>\n<directories check_mtime="no" check_sha1sum="no">/opt/app</directories>\n</syscheck>', linux);
    expect(parsed.targets).toEqual([{ line: 2, target: newTarget('/opt/app', { attributes: ALL.filter((a) => a !== 'mtime') }) }]);
    const noContent = parseOssecSyscheck('<syscheck><directories check_sum="no">/opt/app</directories></syscheck>', linux);
    expect(noContent.targets[0]!.target.attributes).not.toContain('content');
  });

  it('skips a path that came earlier and a wildcard that is not in the last segment', () => {
    const parsed = parseOssecSyscheck('<syscheck>\n<directories>/etc,/home/*/.ssh</directories>\n<directories>/etc/</directories>\n</syscheck>', linux);
    expect(parsed.targets.map((t) => t.target.path)).toEqual(['/etc']);
    expect(parsed.skipped).toEqual([
      { line: 2, reason: '/home/*/.ssh: a wildcard may appear in the last path segment only' },
      { line: 3, reason: '/etc is already imported from line 2' },
    ]);
  });

  it('reads the Windows agent defaults: variables, SysNative, restrict', () => {
    const xml = [
      '<ossec_config><syscheck>',
      '<directories recursion_level="0" restrict="regedit.exe$|system.ini$|win.ini$">%WINDIR%</directories>',
      '<directories recursion_level="0">%WINDIR%\\SysNative\\drivers\\etc</directories>',
      '<directories realtime="yes">%PROGRAMDATA%\\Microsoft\\Windows\\Start Menu\\Programs\\Startup</directories>',
      '<ignore>%PROGRAMDATA%\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\desktop.ini</ignore>',
      '<directories>%USERPROFILE%\\x</directories>',
      '</syscheck></ossec_config>',
    ].join('\n');
    const parsed = parseOssecSyscheck(xml, windows);
    expect(parsed.targets.map((t) => t.target)).toEqual([
      newTarget('C:\\Windows', { recursive: false, include: ['*regedit.exe', '*system.ini', '*win.ini'] }),
      newTarget('C:\\Windows\\System32\\drivers\\etc', { recursive: false }),
      newTarget('C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\Startup', { exclude: ['/desktop.ini'] }),
    ]);
    expect(parsed.skipped).toEqual([{ line: 6, reason: '%USERPROFILE%\\x: %USERPROFILE% is not a variable the importer knows' }]);
    expect(parsed.notes.map((n) => n.message)).toContain('C:\\Windows\\SysNative\\drivers\\etc: SysNative (the 64-bit view for 32-bit agents) read as System32');
  });

  it('a Linux config into a Windows policy: every path skipped with why', () => {
    const parsed = parseOssecSyscheck('<syscheck><directories>/etc</directories></syscheck>', windows);
    expect(parsed.targets).toEqual([]);
    expect(parsed.skipped[0]!.reason).toMatch(/not a Windows path/);
  });

  it('cannot read broken XML, a DOCTYPE, or a file without <syscheck>: the error names the line', () => {
    expect(() => parseOssecSyscheck('<ossec_config>\n<syscheck>\n<directories>/etc</directory>\n</syscheck>\n</ossec_config>', linux)).toThrow(
      expect.objectContaining({ line: 3 }),
    );
    expect(() => parseOssecSyscheck('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<syscheck/>', linux)).toThrow(
      new ImportFormatError(2, 'DOCTYPE and ENTITY declarations are not accepted'),
    );
    expect(() => parseOssecSyscheck('<ossec_config>\n<global/>\n</ossec_config>', linux)).toThrow(new ImportFormatError(1, 'no <syscheck> block in the file'));
    expect(() => parseOssecSyscheck('path,ops_create\n/etc,on\n', linux)).toThrow(ImportFormatError);
  });

  it('keeps line numbers after an XML declaration', () => {
    const parsed = parseOssecSyscheck('<?xml version="1.0" encoding="UTF-8"?>\n<syscheck>\n\n<directories>/srv</directories>\n</syscheck>', linux);
    expect(parsed.targets[0]!.line).toBe(4);
  });
});
