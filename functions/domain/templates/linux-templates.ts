import { templateTarget as target, type PolicyTemplate } from './template.ts';

/**
 * The Linux templates. `critical` marks paths where an unplanned change is an incident (binaries that
 * authenticate, boot files, persistence points, authentication data); excludes drop what the system
 * itself rewrites in normal operation. `appliesTo` says which reported software makes a target worth
 * recommending (recommendations); targets without it apply to every Linux server.
 */

const critical = { critical: true } as const;

/** Defender for Cloud's recommended Linux paths (seeds/004), in its order. */
const linuxRecommended: PolicyTemplate = {
  id: 'linux-recommended',
  name: 'Linux recommended paths',
  description: 'Every Linux path Microsoft Defender for Cloud recommends monitoring: system binaries, boot files, /etc configuration, init scripts and cron.',
  platform: 'linux',
  targets: [
    target('/bin/login', { ...critical, description: 'Login program.' }),
    target('/bin/passwd', { ...critical, description: 'Password changer (setuid root).' }),
    target('/etc/*.conf', { exclude: ['resolv.conf'], description: 'Top-level configuration files; resolv.conf is rewritten by DHCP and resolvers.' }),
    target('/usr/bin', { ...critical, description: 'User binaries.' }),
    target('/usr/sbin', { ...critical, description: 'System binaries.' }),
    target('/bin', { ...critical, description: 'Essential binaries (a link to /usr/bin on merged-/usr systems).' }),
    target('/sbin', { ...critical, description: 'Essential system binaries (a link to /usr/sbin on merged-/usr systems).' }),
    target('/boot', { ...critical, exclude: ['grub/grubenv', 'grub2/grubenv', 'lost+found/'], description: 'Kernels, initramfs and boot loader; grubenv is rewritten at every boot.' }),
    target('/usr/local/bin', { ...critical, description: 'Locally installed binaries (ahead of /usr/bin in PATH).' }),
    target('/usr/local/sbin', { ...critical, description: 'Locally installed system binaries.' }),
    target('/opt/bin', { description: 'Third-party binaries.' }),
    target('/opt/sbin', { description: 'Third-party system binaries.' }),
    target('/etc/crontab', { ...critical, description: 'System crontab.' }),
    target('/etc/init.d', { ...critical, description: 'SysV init scripts.' }),
    target('/etc/cron.hourly', { ...critical, description: 'Hourly cron jobs.' }),
    target('/etc/cron.daily', { ...critical, description: 'Daily cron jobs.' }),
    target('/etc/cron.weekly', { ...critical, description: 'Weekly cron jobs.' }),
    target('/etc/cron.monthly', { ...critical, description: 'Monthly cron jobs.' }),
  ],
};

const linuxSshAndAuth: PolicyTemplate = {
  id: 'linux-ssh-and-auth',
  name: 'Linux SSH and authentication',
  description: 'Who may log in and how: sshd configuration and host keys, authorized_keys of root and users, PAM, sudo, and the account databases.',
  platform: 'linux',
  targets: [
    target('/etc/ssh/sshd_config', { ...critical, appliesTo: ['sshd'], description: 'SSH server configuration.' }),
    target('/etc/ssh/sshd_config.d', { ...critical, appliesTo: ['sshd'], description: 'SSH server configuration drop-ins.' }),
    target('/etc/ssh/ssh_host_*', { ...critical, recursive: false, appliesTo: ['sshd'], description: 'SSH host keys (a changed key is what a man in the middle needs).' }),
    target('/root/.ssh/authorized_keys*', { ...critical, recursive: false, appliesTo: ['sshd'], description: "root's authorized_keys (and authorized_keys2)." }),
    target('/home/*', {
      ...critical,
      include: ['.ssh/authorized_keys', '.ssh/authorized_keys2'],
      appliesTo: ['sshd'],
      description: "Every user's authorized_keys (only ~/.ssh is listed, not the rest of the home directory).",
    }),
    target('/etc/pam.d', { ...critical, description: 'PAM stacks of every service.' }),
    target('/etc/security', { ...critical, exclude: ['opasswd'], description: 'PAM module configuration (access, limits, faillock); opasswd changes with every password change.' }),
    target('/etc/sudoers', { ...critical, appliesTo: ['sudo'], description: 'sudo rules.' }),
    target('/etc/sudoers.d', { ...critical, appliesTo: ['sudo'], description: 'sudo rule drop-ins.' }),
    target('/etc/passwd', { ...critical, description: 'User accounts.' }),
    target('/etc/shadow', { ...critical, description: 'Password hashes.' }),
    target('/etc/group', { ...critical, description: 'Groups (sudo, wheel, docker membership).' }),
    target('/etc/gshadow', { ...critical, description: 'Group passwords and administrators.' }),
    target('/etc/login.defs', { ...critical, description: 'Login and password policy.' }),
  ],
};

const linuxPersistence: PolicyTemplate = {
  id: 'linux-persistence',
  name: 'Linux persistence points',
  description: 'Where attackers make themselves survive a reboot and that common defaults miss: cron spools, systemd units, the dynamic loader, shell start-up files, udev rules, kernel modules, APT hooks.',
  platform: 'linux',
  targets: [
    target('/var/spool/cron', { ...critical, exclude: ['.SEQ'], appliesTo: ['cron'], description: 'Users\' crontabs and at jobs; .SEQ is the at job counter.' }),
    target('/etc/cron.d', { ...critical, appliesTo: ['cron'], description: 'System cron job drop-ins.' }),
    target('/etc/cron.yearly', { ...critical, appliesTo: ['cron'], description: 'Yearly cron jobs.' }),
    target('/etc/anacrontab', { ...critical, appliesTo: ['cron'], description: 'anacron jobs.' }),
    target('/etc/systemd/system', { ...critical, appliesTo: ['systemd'], description: 'Administrator units, overrides and enablement links.' }),
    target('/etc/systemd/user', { ...critical, appliesTo: ['systemd'], description: 'Administrator user units.' }),
    target('/etc/systemd/*.conf', { ...critical, appliesTo: ['systemd'], description: 'systemd manager configuration (DefaultEnvironment can preload libraries).' }),
    target('/usr/lib/systemd/system', { appliesTo: ['systemd'], description: 'Units shipped by packages (change with upgrades).' }),
    target('/usr/lib/systemd/user', { appliesTo: ['systemd'], description: 'User units shipped by packages.' }),
    target('/etc/ld.so.preload', { ...critical, description: 'Libraries preloaded into every process (normally absent: its appearance is an incident).' }),
    target('/etc/ld.so.conf.d', { ...critical, description: 'Library search path drop-ins.' }),
    target('/etc/rc.local', { ...critical, description: 'Commands run at boot.' }),
    target('/etc/rc?.d', { ...critical, description: 'SysV runlevel links.' }),
    target('/etc/profile', { ...critical, description: 'Login shell start-up.' }),
    target('/etc/profile.d', { ...critical, description: 'Login shell start-up drop-ins.' }),
    target('/etc/bash.bashrc', { ...critical, description: 'Interactive bash start-up.' }),
    target('/etc/environment', { ...critical, description: 'Environment of every session.' }),
    // One wildcard rather than /root with include: /root itself changes with every shell history write.
    target('/root/.{bashrc,profile,bash_profile,bash_login,bash_logout}', { ...critical, recursive: false, description: "root's shell start-up files." }),
    target('/etc/update-motd.d', { ...critical, description: 'Scripts run as root at every login.' }),
    target('/etc/xdg/autostart', { description: 'Desktop session autostart entries.' }),
    target('/etc/udev/rules.d', { ...critical, description: 'Administrator udev rules (RUN+= executes programs).' }),
    target('/usr/lib/udev/rules.d', { description: 'udev rules shipped by packages.' }),
    target('/etc/modules', { ...critical, description: 'Kernel modules loaded at boot.' }),
    target('/etc/modules-load.d', { ...critical, description: 'Kernel modules loaded at boot (drop-ins).' }),
    target('/etc/modprobe.d', { ...critical, description: 'Kernel module options and install hooks.' }),
    target('/usr/lib/modules-load.d', { description: 'Kernel modules loaded at boot, shipped by packages.' }),
    target('/etc/apt/apt.conf.d', { ...critical, description: 'APT configuration, including hooks run at every package operation.' }),
  ],
};

const webServers = ['nginx', 'apache2'] as const;

const linuxWebServer: PolicyTemplate = {
  id: 'linux-web-server',
  name: 'Linux web server',
  description: 'nginx and Apache configuration, PHP configuration, TLS private keys and the web roots (where web shells land).',
  platform: 'linux',
  targets: [
    target('/etc/nginx', { ...critical, appliesTo: ['nginx'], description: 'nginx configuration.' }),
    target('/usr/share/nginx/html', { appliesTo: ['nginx'], exclude: ['*.log'], description: 'nginx default web root.' }),
    target('/etc/apache2', { ...critical, appliesTo: ['apache2'], description: 'Apache configuration (Debian layout).' }),
    target('/etc/httpd', { ...critical, exclude: ['logs', 'run', 'state'], appliesTo: ['apache2'], description: 'Apache configuration (Red Hat layout); logs, run and state are links to variable data.' }),
    target('/var/www', {
      appliesTo: [...webServers],
      exclude: ['*.log', 'cache/', 'tmp/', 'sessions/', '.git/'],
      description: 'Web roots: new or changed scripts here are how web shells arrive. Caches, sessions and logs excluded.',
    }),
    target('/etc/php', { ...critical, appliesTo: [...webServers], description: 'PHP configuration (auto_prepend_file runs code on every request).' }),
    target('/etc/ssl/private', { ...critical, appliesTo: [...webServers], description: 'TLS private keys.' }),
  ],
};

const linuxDatabase: PolicyTemplate = {
  id: 'linux-database',
  name: 'Linux database server',
  description: 'MySQL/MariaDB and PostgreSQL configuration, including who may connect (pg_hba.conf).',
  platform: 'linux',
  targets: [
    target('/etc/mysql', { ...critical, appliesTo: ['mysql'], description: 'MySQL/MariaDB configuration (Debian layout).' }),
    target('/etc/my.cnf', { ...critical, appliesTo: ['mysql'], description: 'MySQL/MariaDB configuration (Red Hat layout).' }),
    target('/etc/my.cnf.d', { ...critical, appliesTo: ['mysql'], description: 'MySQL/MariaDB configuration drop-ins.' }),
    target('/etc/postgresql', { ...critical, exclude: ['*.pid'], appliesTo: ['postgresql'], description: 'PostgreSQL configuration (Debian layout), including pg_hba.conf.' }),
    target('/var/lib/pgsql/data/*.conf', { ...critical, appliesTo: ['postgresql'], description: 'PostgreSQL configuration (Red Hat layout), including pg_hba.conf.' }),
  ],
};

const linuxContainers: PolicyTemplate = {
  id: 'linux-containers',
  name: 'Linux container host',
  description: 'Docker and containerd daemon configuration and the registry credentials root uses.',
  platform: 'linux',
  targets: [
    target('/etc/docker', { ...critical, appliesTo: ['docker'], description: 'Docker daemon configuration and TLS material.' }),
    target('/etc/containerd', { ...critical, appliesTo: ['docker'], description: 'containerd configuration.' }),
    target('/etc/default/docker', { ...critical, appliesTo: ['docker'], description: 'Docker daemon options.' }),
    target('/root/.docker/config.json', { ...critical, appliesTo: ['docker'], description: "root's registry credentials and credential helpers." }),
  ],
};

export const LINUX_TEMPLATES: readonly PolicyTemplate[] = [linuxRecommended, linuxSshAndAuth, linuxPersistence, linuxWebServer, linuxDatabase, linuxContainers];
