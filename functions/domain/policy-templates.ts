import type { Target } from '../contract/policy.schemas.ts';
import { newTarget } from '../contract/target-defaults.ts';

/**
 * Built-in starting points for policies: the paths Defender for Cloud FIM recommends monitoring
 * (seeds/004), with the binaries and boot paths marked critical. Targets are stored with defaults
 * filled in, exactly as a user would have posted them.
 */
export interface PolicyTemplate {
  id: string;
  name: string;
  platform: 'linux' | 'windows';
  targets: Omit<Target, 'id'>[];
}

const target = newTarget;

const critical = { critical: true } as const;

export const POLICY_TEMPLATES: readonly PolicyTemplate[] = [
  {
    id: 'linux-recommended',
    name: 'Linux recommended paths',
    platform: 'linux',
    targets: [
      target('/bin/login', critical),
      target('/bin/passwd', critical),
      target('/etc/*.conf'),
      target('/etc/passwd', critical),
      target('/etc/shadow', critical),
      target('/etc/sudoers', critical),
      target('/etc/ssh', critical),
      target('/usr/bin', critical),
      target('/usr/sbin', critical),
      target('/bin', critical),
      target('/sbin', critical),
      target('/boot', critical),
      target('/usr/local/bin'),
      target('/usr/local/sbin'),
      target('/opt/bin'),
      target('/opt/sbin'),
      target('/etc/crontab'),
      target('/etc/init.d'),
      target('/etc/cron.hourly'),
      target('/etc/cron.daily'),
      target('/etc/cron.weekly'),
      target('/etc/cron.monthly'),
      target('/etc/systemd/system'),
    ],
  },
  {
    id: 'windows-recommended',
    name: 'Windows recommended paths',
    platform: 'windows',
    targets: [
      target('C:\\autoexec.bat'),
      target('C:\\boot.ini', critical),
      target('C:\\config.sys'),
      target('C:\\Windows\\system.ini'),
      target('C:\\Windows\\win.ini'),
      target('C:\\Windows\\regedit.exe', critical),
      target('C:\\Windows\\System32\\userinit.exe', critical),
      target('C:\\Windows\\explorer.exe', critical),
      target('C:\\Windows\\System32\\drivers\\etc', critical),
      target('C:\\Program Files\\Microsoft Security Client\\msseces.exe'),
    ],
  },
];

export function findTemplate(id: string): PolicyTemplate | undefined {
  return POLICY_TEMPLATES.find((t) => t.id === id);
}
