import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectSoftware } from '../../agent/software.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A fake host root holding the given files. */
function host(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'dw-software-'));
  roots.push(root);
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), '');
  }
  return root;
}

describe('detectSoftware', () => {
  it('finds software by its binaries or main configuration files', () => {
    const root = host(['usr/sbin/sshd', 'etc/sudoers', 'usr/sbin/cron', 'lib/systemd/systemd', 'etc/nginx/nginx.conf', 'usr/lib/postgresql/15/bin/postgres', 'usr/bin/dockerd']);
    expect(detectSoftware(root, 'linux')).toEqual(['sshd', 'sudo', 'cron', 'systemd', 'nginx', 'postgresql', 'docker']);
  });

  it('is not fooled by configuration directories that packages leave behind', () => {
    const root = host(['etc/apache2/conf-available/javascript-common.conf', 'etc/ssh/ssh_config', 'usr/lib/postgresql/15/bin/psql', 'etc/postgresql/15/main/pg_hba.conf']);
    expect(detectSoftware(root, 'linux')).toEqual([]);
  });

  it('finds versioned PostgreSQL layouts of Red Hat, and MariaDB as mysql', () => {
    expect(detectSoftware(host(['usr/pgsql-16/bin/postgres', 'usr/sbin/mariadbd']), 'linux')).toEqual(['mysql', 'postgresql']);
  });

  it('reports nothing on Windows (yet)', () => {
    expect(detectSoftware(host(['usr/sbin/sshd']), 'win32')).toEqual([]);
  });

  it('reports this machine as it is', () => {
    const found = detectSoftware();
    expect(found.includes('cron')).toBe(['/usr/sbin/cron', '/usr/sbin/crond', '/usr/bin/crontab'].some(existsSync));
    expect(found.includes('sshd')).toBe(['/usr/sbin/sshd', '/etc/ssh/sshd_config'].some(existsSync));
  });
});
