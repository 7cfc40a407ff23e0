import { describe, expect, it } from 'vitest';
import type { Target } from './policy.schemas.ts';
import { newTarget } from './target-defaults.ts';
import { compileTarget, hasGlob, joinPath, normalizePath, targetForPath } from './targets.ts';

let seq = 0;
function target(path: string, extra: Partial<Target> = {}): Target {
  seq += 1;
  return { id: `t${seq}`, ...newTarget(path), ...extra };
}

describe('path helpers', () => {
  it('normalises trailing and doubled slashes, keeping roots', () => {
    expect(normalizePath('/etc/')).toBe('/etc');
    expect(normalizePath('//etc//ssh/')).toBe('/etc/ssh');
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('C:\\Windows\\System32\\', 'windows')).toBe('C:/Windows/System32');
    expect(normalizePath('C:\\', 'windows')).toBe('C:/');
    expect(normalizePath('C:\\Windows')).toBe('C:\\Windows'); // linux: a backslash is a name character
  });
  it('joins below a root without doubling the slash', () => {
    expect(joinPath('/', 'etc')).toBe('/etc');
    expect(joinPath('/etc', 'passwd')).toBe('/etc/passwd');
  });
  it('detects glob characters', () => {
    expect(hasGlob('*.conf')).toBe(true);
    expect(hasGlob('host?')).toBe(true);
    expect(hasGlob('[ab]')).toBe(true);
    expect(hasGlob('{a,b}')).toBe(true);
    expect(hasGlob('passwd')).toBe(false);
  });
});

describe('compileTarget: plain path', () => {
  it('exposes its root and depth', () => {
    const c = compileTarget(target('/etc/'));
    expect(c.path).toBe('/etc');
    expect(c.base).toBe('/etc');
    expect(c.rootPattern).toBeNull();
    expect(c.maxDepth).toBe(Infinity);
    expect(compileTarget(target('/etc', { recursive: false })).maxDepth).toBe(1);
  });

  it('records the root itself, whatever include/exclude say', () => {
    const c = compileTarget(target('/etc', { include: ['*.conf'], exclude: ['etc'] }));
    expect(c.includesEntry('', true)).toBe(true);
    expect(c.contains('/etc')).toBe(true);
    expect(c.rootDecision('etc', true)).toEqual({ record: true, descend: true, includedBelow: false });
  });

  it('covers everything below the root when recursive, nothing outside it', () => {
    const c = compileTarget(target('/etc'));
    expect(c.contains('/etc/passwd')).toBe(true);
    expect(c.contains('/etc/ssh/sshd_config')).toBe(true);
    expect(c.contains('/etc/a/b/c/d/e')).toBe(true);
    expect(c.contains('/etcetera')).toBe(false);
    expect(c.contains('/etcetera/x')).toBe(false);
    expect(c.contains('/')).toBe(false);
    expect(c.contains('/var/etc/passwd')).toBe(false);
  });

  it('a file target covers only the file', () => {
    const c = compileTarget(target('/etc/passwd'));
    expect(c.contains('/etc/passwd')).toBe(true);
    expect(c.contains('/etc/passwd-')).toBe(false);
    expect(c.contains('/etc/shadow')).toBe(false);
  });

  it('recursive: false keeps the root and its direct children only', () => {
    const c = compileTarget(target('/etc', { recursive: false }));
    expect(c.contains('/etc')).toBe(true);
    expect(c.contains('/etc/passwd')).toBe(true);
    expect(c.contains('/etc/ssh')).toBe(true);
    expect(c.contains('/etc/ssh/sshd_config')).toBe(false);
    expect(c.mayDescend('', false)).toBe(true);
    expect(c.mayDescend('ssh', false)).toBe(false);
    expect(c.includesEntry('ssh/sshd_config', false)).toBe(false);
  });

  it('the filesystem root as a target', () => {
    const c = compileTarget(target('/', { exclude: ['/proc', '/sys'] }));
    expect(c.base).toBe('/');
    expect(c.contains('/')).toBe(true);
    expect(c.contains('/etc/passwd')).toBe(true);
    expect(c.contains('/proc')).toBe(false);
    expect(c.contains('/proc/1/status')).toBe(false);
    expect(c.contains('/usr/proc')).toBe(true); // anchored: only the top-level /proc
  });
});

describe('exclude (gitignore-like)', () => {
  it('a pattern without / matches the name at any depth', () => {
    const c = compileTarget(target('/var', { exclude: ['*.log'] }));
    expect(c.isExcluded('x.log', false)).toBe(true);
    expect(c.isExcluded('logs/x.log', false)).toBe(true);
    expect(c.isExcluded('a/b/c/.hidden.log', false)).toBe(true); // dot: true
    expect(c.isExcluded('logs/x.log.1', false)).toBe(false);
    expect(c.contains('/var/logs/x.log')).toBe(false);
    expect(c.contains('/var/logs/x.txt')).toBe(true);
  });

  it('a pattern with / matches from the target root only', () => {
    const c = compileTarget(target('/srv', { exclude: ['cache/**'] }));
    expect(c.isExcluded('cache/a', false)).toBe(true);
    expect(c.isExcluded('cache/a/b/c', false)).toBe(true);
    expect(c.isExcludedDir('cache')).toBe(true); // picomatch: cache/** matches cache itself
    expect(c.isExcluded('app/cache/a', false)).toBe(false);
    expect(c.contains('/srv/app/cache/a')).toBe(true);
    expect(c.contains('/srv/cache/a')).toBe(false);
    expect(c.contains('/srv/cache')).toBe(false);
  });

  it('a leading / anchors a name pattern to the root', () => {
    const c = compileTarget(target('/srv', { exclude: ['/tmp'] }));
    expect(c.isExcludedDir('tmp')).toBe(true);
    expect(c.isExcludedDir('app/tmp')).toBe(false);
  });

  it('a trailing / matches directories only', () => {
    const c = compileTarget(target('/srv', { exclude: ['build/'] }));
    expect(c.isExcludedDir('build')).toBe(true);
    expect(c.isExcludedDir('a/build')).toBe(true);
    expect(c.isExcluded('build', false)).toBe(false);
    expect(c.contains('/srv/build', false)).toBe(true);
    expect(c.contains('/srv/build', true)).toBe(false);
    expect(c.contains('/srv/build/x', false)).toBe(false);
  });

  it('an excluded directory hides everything below it', () => {
    const c = compileTarget(target('/home', { exclude: ['.cache'] }));
    expect(c.isExcludedDir('alice/.cache')).toBe(true);
    expect(c.contains('/home/alice/.cache')).toBe(false);
    expect(c.contains('/home/alice/.cache/x/y.txt')).toBe(false);
    expect(c.includesEntry('alice/.cache/x/y.txt', false)).toBe(false);
    expect(c.contains('/home/alice/.bashrc')).toBe(true);
  });

  it('globstar, brace and bracket patterns', () => {
    const c = compileTarget(target('/app', { exclude: ['**/node_modules', '*.{tmp,swp}', 'log[0-9]'] }));
    expect(c.isExcludedDir('node_modules')).toBe(true);
    expect(c.isExcludedDir('a/b/node_modules')).toBe(true);
    expect(c.isExcluded('x/y.swp', false)).toBe(true);
    expect(c.isExcluded('y.tmp', false)).toBe(true);
    expect(c.isExcluded('d/log7', false)).toBe(true);
    expect(c.isExcluded('d/logx', false)).toBe(false);
  });
});

describe('include', () => {
  it('keeps only matching entries; non-matching directories are descended but not recorded', () => {
    const c = compileTarget(target('/etc', { include: ['*.conf'] }));
    expect(c.includesEntry('a.conf', false)).toBe(true);
    expect(c.includesEntry('nginx/sites/b.conf', false)).toBe(true);
    expect(c.includesEntry('passwd', false)).toBe(false);
    expect(c.includesEntry('nginx', true)).toBe(false);
    expect(c.mayDescend('nginx', false)).toBe(true);
    expect(c.mayDescend('nginx/sites', false)).toBe(true);
    expect(c.contains('/etc/nginx/sites/b.conf')).toBe(true);
    expect(c.contains('/etc/nginx')).toBe(false);
    expect(c.contains('/etc')).toBe(true); // the root
  });

  it('a matching directory brings its whole subtree', () => {
    const c = compileTarget(target('/etc', { include: ['ssh'] }));
    expect(c.includesEntry('ssh', true)).toBe(true);
    expect(c.includesEntry('ssh/sshd_config', false)).toBe(true);
    expect(c.includesEntry('ssh/keys/host_rsa', false)).toBe(true);
    expect(c.includesEntry('passwd', false)).toBe(false);
    expect(c.contains('/etc/ssh/keys/host_rsa')).toBe(true);
  });

  it('anchored includes let the walk skip directories that cannot hold a match', () => {
    const c = compileTarget(target('/etc', { include: ['nginx/conf.d/*.conf'] }));
    expect(c.mayDescend('', false)).toBe(true);
    expect(c.mayDescend('nginx', false)).toBe(true);
    expect(c.mayDescend('nginx/conf.d', false)).toBe(true);
    expect(c.mayDescend('apache', false)).toBe(false);
    expect(c.mayDescend('nginx/other', false)).toBe(false);
    expect(c.includesEntry('nginx/conf.d/a.conf', false)).toBe(true);
    expect(c.includesEntry('nginx/a.conf', false)).toBe(false);
    expect(c.includesEntry('nginx', true)).toBe(false);
  });

  it('exclude wins over include', () => {
    const c = compileTarget(target('/etc', { include: ['*.conf'], exclude: ['old/', 'skip.conf'] }));
    expect(c.includesEntry('skip.conf', false)).toBe(false);
    expect(c.includesEntry('old/a.conf', false)).toBe(false);
    expect(c.includesEntry('new/a.conf', false)).toBe(true);
  });

  it('respects recursive: false', () => {
    const c = compileTarget(target('/etc', { include: ['*.conf'], recursive: false }));
    expect(c.contains('/etc/a.conf')).toBe(true);
    expect(c.contains('/etc/x/a.conf')).toBe(false);
  });
});

describe('wildcard roots', () => {
  it('splits the pattern from its parent', () => {
    const c = compileTarget(target('/etc/*.conf'));
    expect(c.base).toBe('/etc');
    expect(c.rootPattern).toBe('*.conf');
    expect(c.matchesRootName('host.conf')).toBe(true);
    expect(c.matchesRootName('.hidden.conf')).toBe(true);
    expect(c.matchesRootName('host.conf.bak')).toBe(false);
    expect(compileTarget(target('/*')).base).toBe('/');
  });

  it('each match is a root; the parent and non-matches are outside', () => {
    const c = compileTarget(target('/etc/*.d'));
    expect(c.contains('/etc')).toBe(false);
    expect(c.contains('/etc/passwd')).toBe(false);
    expect(c.contains('/etc/init.d')).toBe(true);
    expect(c.contains('/etc/init.d/ssh')).toBe(true);
    expect(c.contains('/etc/cron.d/a/b')).toBe(true);
    expect(c.contains('/etc/x/init.d')).toBe(false);
  });

  it('a matched directory is walked only when recursive', () => {
    const c = compileTarget(target('/etc/*.d', { recursive: false }));
    expect(c.maxDepth).toBe(0);
    expect(c.contains('/etc/init.d')).toBe(true);
    expect(c.contains('/etc/init.d/ssh')).toBe(false);
    expect(c.rootDecision('init.d', true)).toEqual({ record: true, descend: false, includedBelow: false });
    expect(compileTarget(target('/etc/*.d')).rootDecision('init.d', true).descend).toBe(true);
  });

  it('include/exclude apply relative to each matched root', () => {
    const c = compileTarget(target('/srv/*', { exclude: ['cache/**', '*.tmp'] }));
    expect(c.contains('/srv/app1/cache/x')).toBe(false);
    expect(c.contains('/srv/app1/src/cache/x')).toBe(true);
    expect(c.contains('/srv/app2/a.tmp')).toBe(false);
    expect(c.contains('/srv/app2/a.txt')).toBe(true);
  });

  it('name patterns also judge the matched roots', () => {
    const ex = compileTarget(target('/var/log/*', { exclude: ['*.gz'] }));
    expect(ex.contains('/var/log/syslog')).toBe(true);
    expect(ex.contains('/var/log/syslog.2.gz')).toBe(false);
    expect(ex.rootDecision('old.gz', true)).toEqual({ record: false, descend: false, includedBelow: false });
    expect(ex.contains('/var/log/old.gz/x')).toBe(false);

    const inc = compileTarget(target('/etc/*', { include: ['*.conf'] }));
    expect(inc.contains('/etc/host.conf')).toBe(true);
    expect(inc.contains('/etc/passwd')).toBe(false);
    expect(inc.contains('/etc/nginx')).toBe(false); // not recorded ...
    expect(inc.contains('/etc/nginx/nginx.conf')).toBe(true); // ... but walked
    expect(inc.rootDecision('nginx', true)).toEqual({ record: false, descend: true, includedBelow: false });
    const sub = compileTarget(target('/etc/*', { include: ['ssh'] }));
    expect(sub.rootDecision('ssh', true)).toEqual({ record: true, descend: true, includedBelow: true });
    expect(sub.contains('/etc/ssh/sshd_config')).toBe(true);
  });

  it('question mark, brackets and braces in the last segment', () => {
    expect(compileTarget(target('/dev/tty?')).contains('/dev/tty1')).toBe(true);
    expect(compileTarget(target('/dev/tty?')).contains('/dev/tty10')).toBe(false);
    expect(compileTarget(target('/etc/{passwd,shadow}')).contains('/etc/shadow')).toBe(true);
    expect(compileTarget(target('/etc/{passwd,shadow}')).contains('/etc/group')).toBe(false);
    expect(compileTarget(target('/etc/[gp]*')).contains('/etc/group')).toBe(true);
  });
});

describe('targetForPath', () => {
  const critical = target('/etc/ssh', { critical: true });
  const etc = target('/etc', { exclude: ['*.bak'] });
  const logs = target('/var/log/*.log', { recursive: false });
  const targets = [critical, etc, logs];

  it('returns the first target in order whose scope contains the path', () => {
    expect(targetForPath(targets, '/etc/ssh/sshd_config')).toBe(critical);
    expect(targetForPath(targets, '/etc/ssh')).toBe(critical);
    expect(targetForPath(targets, '/etc/passwd')).toBe(etc);
    expect(targetForPath([etc, critical], '/etc/ssh/sshd_config')).toBe(etc);
    expect(targetForPath(targets, '/var/log/auth.log')).toBe(logs);
  });

  it('returns undefined outside every target', () => {
    expect(targetForPath(targets, '/usr/bin/ls')).toBeUndefined();
    expect(targetForPath(targets, '/var/log')).toBeUndefined();
    expect(targetForPath(targets, '/var/log/syslog')).toBeUndefined();
    expect(targetForPath(targets, '/var/log/auth.log/x')).toBeUndefined();
    expect(targetForPath(targets, '/etc/passwd.bak')).toBeUndefined();
    expect(targetForPath([], '/etc/passwd')).toBeUndefined();
  });

  it('falls through to a later target when an earlier one excludes the path', () => {
    const backups = target('/etc/*.bak');
    expect(targetForPath([etc, backups], '/etc/passwd.bak')).toBe(backups);
  });

  it('uses the entry kind for directory-only patterns when given', () => {
    const t = [target('/srv', { exclude: ['tmp/'] })];
    expect(targetForPath(t, '/srv/tmp', { isDirectory: true })).toBeUndefined();
    expect(targetForPath(t, '/srv/tmp', { isDirectory: false })).toBe(t[0]);
    expect(targetForPath(t, '/srv/tmp')).toBe(t[0]); // unknown kind: in scope as a file
  });

  it('normalises windows paths and ignores case on windows only', () => {
    const win = [target('C:\\Windows\\System32', { exclude: ['*.LOG'] })];
    expect(targetForPath(win, 'c:\\windows\\system32\\drivers\\etc\\hosts', { platform: 'windows' })).toBe(win[0]);
    expect(targetForPath(win, 'C:/Windows/System32/x.log', { platform: 'windows' })).toBeUndefined();
    expect(targetForPath(win, 'C:/Windows/System32/drivers/etc/hosts')).toBeUndefined(); // linux semantics
    const lin = [target('/etc')];
    expect(targetForPath(lin, '/ETC/passwd')).toBeUndefined();
  });

  it('tolerates targets without defaults applied', () => {
    const bare = { id: 'x', path: '/opt/app' } as unknown as Target;
    expect(targetForPath([bare], '/opt/app/a/b')).toBe(bare);
  });
});

describe('walksInto (what the real-time watcher watches)', () => {
  it('follows the walk: no excluded directory, no deeper than the depth allows, only where an anchored include can match', () => {
    const plain = compileTarget(target('/etc', { exclude: ['cache/'] }));
    expect(plain.walksInto('/etc')).toBe(true);
    expect(plain.walksInto('/etc/ssh')).toBe(true);
    expect(plain.walksInto('/etc/cache')).toBe(false);
    expect(plain.walksInto('/etc/cache/sub')).toBe(false);
    expect(plain.walksInto('/var')).toBe(false);

    const shallow = compileTarget(target('/etc', { recursive: false }));
    expect(shallow.walksInto('/etc')).toBe(true);
    expect(shallow.walksInto('/etc/ssh')).toBe(false);

    const anchored = compileTarget(target('/etc', { include: ['conf.d/*.conf'] }));
    expect(anchored.walksInto('/etc/conf.d')).toBe(true);
    expect(anchored.walksInto('/etc/other')).toBe(false);
  });

  it('on a wildcard target, lists the parent and walks only into matching roots', () => {
    const wild = compileTarget(target('/home/*', { exclude: ['skip'] }));
    expect(wild.walksInto('/home')).toBe(true);
    expect(wild.walksInto('/home/alice')).toBe(true);
    expect(wild.walksInto('/home/skip')).toBe(false);
    expect(wild.walksInto('/home/alice/skip')).toBe(false);
  });
});
