import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SOFTWARE, type Software } from '../functions/contract/software.ts';

/**
 * Which software this host runs, reported at check-in for server recommendations. Cheap by design:
 * a few `stat` calls on well-known binaries and main configuration files (two small directory listings
 * for versioned PostgreSQL layouts), never a package-manager query. A configuration directory alone is
 * not enough: packages leave them behind (an `/etc/apache2` holding only `conf-available`).
 */
const PROBES: Record<Software, readonly string[]> = {
  sshd: ['usr/sbin/sshd', 'etc/ssh/sshd_config'],
  sudo: ['usr/bin/sudo', 'etc/sudoers'],
  cron: ['usr/sbin/cron', 'usr/sbin/crond', 'usr/bin/crontab'],
  systemd: ['run/systemd/system', 'usr/lib/systemd/systemd', 'lib/systemd/systemd'],
  nginx: ['usr/sbin/nginx', 'etc/nginx/nginx.conf'],
  apache2: ['usr/sbin/apache2', 'usr/sbin/httpd', 'etc/apache2/apache2.conf', 'etc/httpd/conf/httpd.conf'],
  mysql: ['usr/sbin/mysqld', 'usr/sbin/mariadbd', 'usr/libexec/mysqld', 'etc/mysql/my.cnf', 'etc/my.cnf'],
  postgresql: ['usr/bin/postgres', 'usr/lib/postgresql/*/bin/postgres', 'usr/pgsql-*/bin/postgres'],
  docker: ['usr/bin/dockerd', 'usr/sbin/dockerd', 'etc/docker/daemon.json'],
};

/** Whether `relative` (one segment may end in `*`) exists below `root`. */
function present(root: string, relative: string): boolean {
  const star = relative.indexOf('*');
  if (star < 0) return existsSync(join(root, relative));
  const slash = relative.lastIndexOf('/', star);
  const parent = relative.slice(0, slash);
  const prefix = relative.slice(slash + 1, star);
  const rest = relative.slice(relative.indexOf('/', star) + 1);
  let names: string[];
  try {
    names = readdirSync(join(root, parent));
  } catch {
    return false;
  }
  return names.some((name) => name.startsWith(prefix) && existsSync(join(root, parent, name, rest)));
}

/** The software found below `root` (the host's `/` by default), in the order of SOFTWARE. Linux only. */
export function detectSoftware(root = '/', platform: NodeJS.Platform = process.platform): Software[] {
  if (platform === 'win32') return [];
  return SOFTWARE.filter((software) => PROBES[software].some((path) => present(root, path)));
}
