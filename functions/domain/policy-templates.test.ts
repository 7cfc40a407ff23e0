import { describe, expect, it } from 'vitest';
import { TargetInputSchema } from '../contract/policy.schemas.ts';
import { SOFTWARE } from '../contract/software.ts';
import { wirePathProblem } from '../contract/wire-path.ts';
import { compileTarget } from '../contract/targets.ts';
import { asPolicyTarget, findTemplate, POLICY_TEMPLATES } from './policy-templates.ts';

/** Defender for Cloud's recommended items (seeds/004), copied here: the tests do not read shared/. */
const DEFENDER_LINUX = [
  '/bin/login', '/bin/passwd', '/etc/*.conf', '/usr/bin', '/usr/sbin', '/bin', '/sbin', '/boot', '/usr/local/bin', '/usr/local/sbin',
  '/opt/bin', '/opt/sbin', '/etc/crontab', '/etc/init.d', '/etc/cron.hourly', '/etc/cron.daily', '/etc/cron.weekly', '/etc/cron.monthly',
];
const DEFENDER_WINDOWS_FILES = [
  'C:\\autoexec.bat', 'C:\\boot.ini', 'C:\\config.sys', 'C:\\Windows\\system.ini', 'C:\\Windows\\win.ini', 'C:\\Windows\\regedit.exe',
  'C:\\Windows\\System32\\userinit.exe', 'C:\\Windows\\explorer.exe', 'C:\\Program Files\\Microsoft Security Client\\msseces.exe',
];

describe('policy templates', () => {
  it('offers the templates the issue names, and more', () => {
    expect(POLICY_TEMPLATES.map((t) => t.id)).toEqual(
      expect.arrayContaining(['linux-recommended', 'linux-ssh-and-auth', 'linux-persistence', 'linux-web-server', 'windows-recommended']),
    );
  });

  it('linux-recommended is exactly the Linux list of Defender for Cloud, in its order', () => {
    expect(findTemplate('linux-recommended')!.targets.map((t) => t.path)).toEqual(DEFENDER_LINUX);
  });

  it('windows-recommended has every Windows file of the list, and its registry keys marked unsupported', () => {
    const template = findTemplate('windows-recommended')!;
    expect(template.targets.map((t) => t.path)).toEqual(expect.arrayContaining(DEFENDER_WINDOWS_FILES));
    expect(template.unsupported).toHaveLength(29);
    expect(template.unsupported!.every((u) => u.kind === 'registry-key' && u.path.startsWith('HKLM\\'))).toBe(true);
    expect(template.unsupported!.map((u) => u.path)).toContain('HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run');
  });

  it('every target is a valid policy target: the schema (absolute, wildcard in the last segment only) and the wire path rules', () => {
    for (const template of POLICY_TEMPLATES) {
      for (const target of template.targets) {
        const parsed = TargetInputSchema.safeParse(asPolicyTarget(target));
        expect(parsed.success, `${template.id} ${target.path}: ${parsed.error?.message}`).toBe(true);
        expect(parsed.data).toEqual(asPolicyTarget(target)); // stored exactly as given: every default is filled in
        expect(wirePathProblem(target.path), target.path).toBeNull();
        expect(template.platform === 'linux' ? target.path.startsWith('/') : /^[A-Z]:\\/.test(target.path), target.path).toBe(true);
        expect(() => compileTarget({ ...asPolicyTarget(target), id: 't' }, { platform: template.platform })).not.toThrow();
      }
    }
  });

  it('target paths are unique across every template (a recommended path names one template target)', () => {
    const paths = POLICY_TEMPLATES.flatMap((t) => t.targets.map((target) => target.path));
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('appliesTo names known software only, and the SSH, sudo and cron targets depend on their software', () => {
    for (const target of POLICY_TEMPLATES.flatMap((t) => t.targets)) {
      for (const software of target.appliesTo ?? []) expect(SOFTWARE).toContain(software);
    }
    const ssh = findTemplate('linux-ssh-and-auth')!.targets;
    expect(ssh.find((t) => t.path === '/etc/ssh/sshd_config')).toMatchObject({ critical: true, appliesTo: ['sshd'] });
    expect(ssh.find((t) => t.path === '/etc/sudoers.d')).toMatchObject({ critical: true, appliesTo: ['sudo'] });
    expect(ssh.find((t) => t.path === '/etc/shadow')).toMatchObject({ critical: true });
    expect(ssh.find((t) => t.path === '/etc/shadow')!.appliesTo).toBeUndefined();
    expect(findTemplate('linux-persistence')!.targets.find((t) => t.path === '/var/spool/cron')).toMatchObject({ appliesTo: ['cron'] });
  });

  it("users' authorized_keys are reached without walking home directories", () => {
    const homes = findTemplate('linux-ssh-and-auth')!.targets.find((t) => t.path === '/home/*')!;
    const compiled = compileTarget({ ...asPolicyTarget(homes), id: 't' });
    expect(compiled.contains('/home/alice/.ssh/authorized_keys', false)).toBe(true);
    expect(compiled.contains('/home/alice/.ssh/known_hosts', false)).toBe(false);
    expect(compiled.contains('/home/alice', true)).toBe(false);
    expect(compiled.walksInto('/home/alice/.ssh')).toBe(true);
    expect(compiled.walksInto('/home/alice/Downloads')).toBe(false);
  });

  it("root's start-up files are matched one by one, not /root itself", () => {
    const startUp = findTemplate('linux-persistence')!.targets.find((t) => t.path.startsWith('/root/'))!;
    const compiled = compileTarget({ ...asPolicyTarget(startUp), id: 't' });
    expect(compiled.contains('/root/.bashrc', false)).toBe(true);
    expect(compiled.contains('/root/.bash_history', false)).toBe(false);
    expect(compiled.contains('/root', true)).toBe(false);
  });
});
