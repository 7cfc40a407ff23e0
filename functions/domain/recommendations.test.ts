import { describe, expect, it } from 'vitest';
import { newTarget } from '../contract/target-defaults.ts';
import type { Target } from '../contract/policy.schemas.ts';
import { findTemplate, POLICY_TEMPLATES } from './policy-templates.ts';
import { isMonitored, recommend } from './recommendations.ts';

const target = (path: string, options: Partial<Target> = {}): Target => ({ ...newTarget(path), id: `t-${path}`, ...options });
const pathsOf = (templates: ReturnType<typeof recommend>, id: string) => templates.find((t) => t.id === id)?.targets.map((t) => t.path) ?? [];

describe('recommend', () => {
  it('a Linux server with sshd and cron gets the SSH and cron targets, with the software that made them apply', () => {
    const recs = recommend(POLICY_TEMPLATES, { platform: 'linux', software: ['sshd', 'cron'] }, []);
    expect(recs.map((t) => t.id)).toEqual(['linux-recommended', 'linux-ssh-and-auth', 'linux-persistence']);
    const ssh = recs.find((t) => t.id === 'linux-ssh-and-auth')!.targets;
    expect(ssh.find((t) => t.path === '/etc/ssh/sshd_config')).toMatchObject({ critical: true, because: ['sshd'] });
    expect(ssh.find((t) => t.path === '/etc/shadow')).toMatchObject({ because: [] });
    expect(ssh.some((t) => t.path === '/etc/sudoers')).toBe(false); // no sudo reported
    expect(pathsOf(recs, 'linux-persistence')).toEqual(expect.arrayContaining(['/var/spool/cron', '/etc/cron.d']));
    expect(pathsOf(recs, 'linux-persistence')).not.toContain('/etc/systemd/system'); // no systemd reported
    expect(pathsOf(recs, 'linux-recommended')).toEqual(findTemplate('linux-recommended')!.targets.map((t) => t.path));
  });

  it('an agent that reported nothing gets the targets every server of its platform should have', () => {
    const recs = recommend(POLICY_TEMPLATES, { platform: 'linux' }, []);
    expect(recs.flatMap((t) => t.targets).every((t) => !t.appliesTo)).toBe(true);
    expect(pathsOf(recs, 'linux-ssh-and-auth')).toContain('/etc/passwd');
  });

  it('leaves out what the group\'s policies monitor already, by path or by scope', () => {
    const monitored = [target('/etc'), target('/usr/bin'), target('/var/spool/cron')];
    const recs = recommend(POLICY_TEMPLATES, { platform: 'linux', software: ['sshd', 'cron'] }, monitored);
    const all = recs.flatMap((t) => t.targets.map((x) => x.path));
    for (const covered of ['/etc/*.conf', '/etc/ssh/sshd_config', '/etc/crontab', '/etc/pam.d', '/usr/bin', '/var/spool/cron']) expect(all).not.toContain(covered);
    expect(all).toEqual(expect.arrayContaining(['/usr/sbin', '/boot', '/home/*']));
  });

  it('a Windows server gets the Windows files only', () => {
    const recs = recommend(POLICY_TEMPLATES, { platform: 'windows', software: ['sshd'] }, [target('C:\\WINDOWS')]);
    expect(recs.map((t) => t.id)).toEqual(['windows-recommended']);
    // Everything below the monitored C:\WINDOWS (paths compare without case) is left out.
    expect(pathsOf(recs, 'windows-recommended')).toEqual(['C:\\autoexec.bat', 'C:\\boot.ini', 'C:\\config.sys', 'C:\\Program Files\\Microsoft Security Client\\msseces.exe']);
  });
});

describe('isMonitored', () => {
  it('counts a recursive directory only when its whole scope is walked', () => {
    expect(isMonitored(newTarget('/etc/ssh'), [target('/etc', { recursive: false })], 'linux')).toBe(false);
    expect(isMonitored(newTarget('/etc/ssh'), [target('/etc')], 'linux')).toBe(true);
    expect(isMonitored(newTarget('/etc/ssh'), [target('/etc', { exclude: ['ssh/'] })], 'linux')).toBe(false);
    expect(isMonitored(newTarget('/etc/*.conf'), [target('/etc/*.conf')], 'linux')).toBe(true);
  });
});
