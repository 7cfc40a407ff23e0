import { describe, it, expect } from 'vitest';
import { ENTRY_ATTRIBUTES } from '../contract/entry.ts';
import type { Entry, EntryAttribute, PathEntry } from '../contract/entry.ts';
import type { Target } from '../contract/policy.schemas.ts';
import { compareEntries, diffEntries, recordedAttributes, severityOf, uncomparable } from './diff.ts';
import type { Change } from './diff.ts';
import { parentPath } from './directory-noise.ts';

// Prepare: small factories. Every entry gets its own inode unless a test says otherwise.
let nextInode = 1000;
const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-02T11:30:00.000Z';

function target(path: string, overrides: Partial<Target> = {}): Target {
  return {
    id: `tgt-${path}`,
    path,
    recursive: true,
    include: [],
    exclude: [],
    attributes: [...ENTRY_ATTRIBUTES],
    critical: false,
    alert: true,
    ...overrides,
  };
}

function file(overrides: Partial<Entry> = {}): Entry {
  return {
    type: 'file',
    size: 120,
    mode: '0644',
    uid: 0,
    gid: 0,
    mtime: T0,
    ctime: T0,
    inode: nextInode++,
    hash: { algorithm: 'sha256', value: 'a'.repeat(64) },
    ...overrides,
  };
}

function dir(overrides: Partial<Entry> = {}): Entry {
  return { type: 'directory', size: 4096, mode: '0755', uid: 0, gid: 0, mtime: T0, ctime: T0, inode: nextInode++, ...overrides };
}

function symlink(linkTarget: string, overrides: Partial<Entry> = {}): Entry {
  return { type: 'symlink', size: linkTarget.length, mode: '0777', uid: 0, gid: 0, mtime: T0, ctime: T0, inode: nextInode++, linkTarget, ...overrides };
}

const sorted = (entries: PathEntry[]): PathEntry[] => [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

const ETC = target('/etc');
const OPT = target('/opt/app', { critical: true });

/** A compact view of a change list for assertions. */
const summary = (changes: Change[]) =>
  changes.map((c) => ({ changeType: c.changeType, path: c.path, ...(c.previousPath ? { previousPath: c.previousPath } : {}), changedAttributes: c.changedAttributes }));

describe('compareEntries', () => {
  it('reports differing attributes in ENTRY_ATTRIBUTES order, whatever the order asked', () => {
    const a = file();
    const b = { ...a, mode: '0600', size: 7, hash: { algorithm: 'sha256' as const, value: 'b'.repeat(64) } };
    expect(compareEntries(a, b, ['mode', 'size', 'content'])).toEqual(['content', 'size', 'mode']);
  });

  it('only looks at the attributes asked for', () => {
    const a = file();
    const b = { ...a, mode: '0600', mtime: T1 };
    expect(compareEntries(a, b, ['owner', 'mtime'])).toEqual(['mtime']);
    expect(compareEntries(a, b, ['owner'])).toEqual([]);
  });

  it('compares owner and group as uid and gid', () => {
    const a = file();
    expect(compareEntries(a, { ...a, uid: 33 }, ENTRY_ATTRIBUTES)).toEqual(['owner']);
    expect(compareEntries(a, { ...a, gid: 33 }, ENTRY_ATTRIBUTES)).toEqual(['group']);
  });

  it('counts a hash on one side only as a content change', () => {
    const a = file();
    const { hash: _dropped, ...unhashed } = a;
    expect(compareEntries(a, unhashed, ['content'])).toEqual(['content']);
    expect(compareEntries(unhashed, a, ['content'])).toEqual(['content']);
    expect(compareEntries(unhashed, { ...unhashed }, ['content'])).toEqual([]);
  });

  it('counts a different hash algorithm as a content change', () => {
    const a = file();
    const b = { ...a, hash: { algorithm: 'sha512' as const, value: a.hash!.value } };
    expect(compareEntries(a, b, ['content'])).toEqual(['content']);
  });

  it('treats the same instant spelled differently as unchanged', () => {
    const a = file({ mtime: '2024-05-01T10:00:00.000Z' });
    expect(compareEntries(a, { ...a, mtime: '2024-05-01T10:00:00Z' }, ['mtime'])).toEqual([]);
    expect(compareEntries(a, { ...a, mtime: '2024-05-01T10:00:00.001Z' }, ['mtime'])).toEqual(['mtime']);
  });

  it('compares inode, linkTarget and type', () => {
    const a = symlink('/usr/bin/python3');
    expect(compareEntries(a, { ...a, inode: a.inode + 1 }, ENTRY_ATTRIBUTES)).toEqual(['inode']);
    expect(compareEntries(a, { ...a, linkTarget: '/usr/bin/python4' }, ENTRY_ATTRIBUTES)).toEqual(['linkTarget']);
    expect(compareEntries(a, { ...a, type: 'other' }, ENTRY_ATTRIBUTES)).toEqual(['type']);
  });
});

describe('compareEntries: extended attributes, ACLs, capabilities, link count, unreadable', () => {
  it('compares xattrs by name and value, absent and empty alike', () => {
    const a = file({ xattrs: { 'security.selinux': 'system_u:object_r:etc_t:s0' } });
    expect(compareEntries(a, { ...a, xattrs: { 'security.selinux': 'system_u:object_r:shadow_t:s0' } }, ENTRY_ATTRIBUTES)).toEqual(['xattrs']);
    expect(compareEntries(a, { ...a, xattrs: { 'user.x': 'system_u:object_r:etc_t:s0' } }, ENTRY_ATTRIBUTES)).toEqual(['xattrs']);
    expect(compareEntries(a, { ...a, xattrs: undefined }, ENTRY_ATTRIBUTES)).toEqual(['xattrs']);
    expect(compareEntries(file({ inode: 1 }), file({ inode: 1, xattrs: {} }), ENTRY_ATTRIBUTES)).toEqual([]);
  });

  it('compares acl, caps and nlink; an entry without nlink (an older agent) is not compared', () => {
    const a = file({ nlink: 1 });
    expect(compareEntries(a, { ...a, caps: 'cap_setuid=ep' }, ENTRY_ATTRIBUTES)).toEqual(['caps']);
    expect(compareEntries(a, { ...a, acl: 'user::rw-,user:1000:r--,group::r--,mask::r--,other::r--' }, ENTRY_ATTRIBUTES)).toEqual(['acl']);
    expect(compareEntries(a, { ...a, nlink: 2 }, ENTRY_ATTRIBUTES)).toEqual(['nlink']);
    expect(compareEntries({ ...a, nlink: undefined }, { ...a, nlink: 2 }, ENTRY_ATTRIBUTES)).toEqual([]);
  });

  it('counts becoming unreadable (or readable again) as a content change', () => {
    const a = file();
    const { hash: _gone, ...metadataOnly } = a;
    const locked = { ...metadataOnly, mode: '0600', unreadable: 'EACCES' };
    expect(compareEntries(a, locked, ENTRY_ATTRIBUTES)).toEqual(['content', 'mode']);
    expect(compareEntries(locked, a, ENTRY_ATTRIBUTES)).toEqual(['content', 'mode']);
    const d = dir();
    expect(compareEntries(d, { ...d, unreadable: 'EACCES' }, ENTRY_ATTRIBUTES)).toEqual(['content']);
  });

  it('knows which optional attributes two scans can compare', () => {
    expect(recordedAttributes(undefined)).toEqual([]);
    expect(recordedAttributes([])).toEqual(['xattrs', 'acl', 'caps']);
    expect(recordedAttributes(['xattrs', 'acl', 'caps'])).toEqual([]);
    expect(uncomparable(['xattrs', 'acl', 'caps'], ['xattrs', 'acl', 'caps'])).toEqual([]);
    expect(uncomparable(undefined, ['xattrs', 'acl', 'caps'])).toEqual(['xattrs', 'acl', 'caps']);
    expect(uncomparable(['xattrs', 'acl', 'caps'], ['acl'])).toEqual(['xattrs', 'caps']);
  });
});

describe('diffEntries: modifications', () => {
  it('reports a content change with the attributes that changed', () => {
    const old = file();
    const edited: Entry = { ...old, size: 130, mtime: T1, ctime: T1, hash: { algorithm: 'sha256', value: 'b'.repeat(64) } };
    const changes = diffEntries({ before: [['/etc/passwd', old]], after: [['/etc/passwd', edited]], targets: [ETC] });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toEqual({
      changeType: 'modified',
      path: '/etc/passwd',
      before: old,
      after: edited,
      changedAttributes: ['content', 'size', 'mtime', 'ctime'],
      target: ETC,
    });
  });

  it('reports chmod as mode (and ctime) only', () => {
    const old = file();
    const changes = diffEntries({ before: [['/etc/shadow', old]], after: [['/etc/shadow', { ...old, mode: '0666', ctime: T1 }]], targets: [ETC] });
    expect(summary(changes)).toEqual([{ changeType: 'modified', path: '/etc/shadow', changedAttributes: ['mode', 'ctime'] }]);
  });

  it('reports chown as owner and group', () => {
    const old = file();
    const changes = diffEntries({ before: [['/etc/sudoers', old]], after: [['/etc/sudoers', { ...old, uid: 1000, gid: 1000 }]], targets: [ETC] });
    expect(summary(changes)).toEqual([{ changeType: 'modified', path: '/etc/sudoers', changedAttributes: ['owner', 'group'] }]);
  });

  it('reports nothing for an mtime-only change when the target does not watch mtime', () => {
    const quiet = target('/etc', { attributes: ['content', 'size', 'mode', 'owner', 'group'] });
    const old = file();
    const changes = diffEntries({ before: [['/etc/hosts', old]], after: [['/etc/hosts', { ...old, mtime: T1, ctime: T1 }]], targets: [quiet] });
    expect(changes).toEqual([]);
  });

  it('reports nothing for identical entries', () => {
    const entries: PathEntry[] = [['/etc/a', file()], ['/etc/b', file()]];
    expect(diffEntries({ before: entries, after: entries.map(([p, e]) => [p, { ...e }] as PathEntry), targets: [ETC] })).toEqual([]);
  });

  it('applies each target its own attribute list', () => {
    const logs = target('/var/log', { attributes: ['content', 'mode'] });
    const a = file();
    const b = file();
    const c = file();
    const changes = diffEntries({
      before: sorted([['/etc/a', a], ['/var/log/b', b], ['/var/log/c', c]]),
      after: sorted([['/etc/a', { ...a, mtime: T1 }], ['/var/log/b', { ...b, mtime: T1 }], ['/var/log/c', { ...c, mode: '0600', mtime: T1 }]]),
      targets: [ETC, logs],
    });
    expect(summary(changes)).toEqual([
      { changeType: 'modified', path: '/etc/a', changedAttributes: ['mtime'] },
      { changeType: 'modified', path: '/var/log/c', changedAttributes: ['mode'] },
    ]);
    expect(changes[1].target).toBe(logs);
  });

  it('reports a symlink retarget as linkTarget', () => {
    const old = symlink('/etc/alternatives/java8');
    const retargeted = { ...old, linkTarget: '/etc/alternatives/java9' };
    const changes = diffEntries({ before: [['/etc/java', old]], after: [['/etc/java', retargeted]], targets: [ETC] });
    expect(summary(changes)).toEqual([{ changeType: 'modified', path: '/etc/java', changedAttributes: ['linkTarget'] }]);
  });

  it('reports a file replaced by a symlink as a modification including type', () => {
    const old = file({ size: 20 });
    const link = symlink('/tmp/evil', { inode: nextInode++, size: 9, mtime: T1, ctime: T1 });
    const changes = diffEntries({ before: [['/etc/resolv.conf', old]], after: [['/etc/resolv.conf', link]], targets: [ETC] });
    expect(summary(changes)).toEqual([
      { changeType: 'modified', path: '/etc/resolv.conf', changedAttributes: ['content', 'size', 'mode', 'mtime', 'ctime', 'inode', 'linkTarget', 'type'] },
    ]);
    expect(changes[0].before).toBe(old);
    expect(changes[0].after).toBe(link);
  });

  it('leaves out attributes listed in ignoreAttributes (golden master)', () => {
    const old = file();
    const other = { ...old, inode: 77, mtime: T1, ctime: T1, mode: '0600' };
    const changes = diffEntries({ before: [['/etc/a', old]], after: [['/etc/a', other]], targets: [ETC], ignoreAttributes: ['inode', 'mtime', 'ctime'] });
    expect(summary(changes)).toEqual([{ changeType: 'modified', path: '/etc/a', changedAttributes: ['mode'] }]);
  });
});

describe('diffEntries: added and removed', () => {
  it('reports an entry only in after as added', () => {
    const entry = file();
    const changes = diffEntries({ before: [], after: [['/etc/cron.d/backdoor', entry]], targets: [ETC] });
    expect(changes).toEqual([{ changeType: 'added', path: '/etc/cron.d/backdoor', before: null, after: entry, changedAttributes: [], target: ETC }]);
  });

  it('reports an entry only in before as removed', () => {
    const entry = file();
    const changes = diffEntries({ before: [['/etc/motd', entry]], after: [], targets: [ETC] });
    expect(changes).toEqual([{ changeType: 'removed', path: '/etc/motd', before: entry, after: null, changedAttributes: [], target: ETC }]);
  });

  it('gives each change the target its path belongs to, for severity', () => {
    const changes = diffEntries({ before: [], after: sorted([['/etc/x', file()], ['/opt/app/bin/run', file()]]), targets: [ETC, OPT] });
    expect(changes.map((c) => [c.path, c.target.id, severityOf(c)])).toEqual([
      ['/etc/x', ETC.id, 'normal'],
      ['/opt/app/bin/run', OPT.id, 'critical'],
    ]);
  });

  it('sorts the output by path (code-unit order) across change types', () => {
    const keep = file();
    const changes = diffEntries({
      before: sorted([['/etc/B', file()], ['/etc/a', keep]]),
      after: sorted([['/etc/C', file()], ['/etc/_', file()], ['/etc/a', { ...keep, mode: '0600' }]]),
      targets: [ETC],
    });
    expect(changes.map((c) => `${c.changeType} ${c.path}`)).toEqual(['removed /etc/B', 'added /etc/C', 'added /etc/_', 'modified /etc/a']);
  });

  it('tolerates unsorted input', () => {
    const a = file();
    const changes = diffEntries({ before: [['/etc/z', file()], ['/etc/a', a]], after: [['/etc/a', { ...a, uid: 5 }], ['/etc/m', file()]], targets: [ETC] });
    expect(changes.map((c) => `${c.changeType} ${c.path}`)).toEqual(['modified /etc/a', 'added /etc/m', 'removed /etc/z']);
  });
});

describe('diffEntries: scope changes are not file changes', () => {
  it('does not report entries that appear because the policy grew', () => {
    const hosts = file();
    const changes = diffEntries({
      before: [['/etc/hosts', hosts]],
      after: sorted([['/etc/hosts', { ...hosts, inode: 1 }], ['/opt/app/config.yml', file()], ['/etc/new', file()]]),
      previousTargets: [ETC],
      targets: [ETC, OPT],
    });
    // /etc/hosts changed inode; /etc/new is a real addition; /opt/app/config.yml only came into scope.
    expect(summary(changes)).toEqual([
      { changeType: 'modified', path: '/etc/hosts', changedAttributes: ['inode'] },
      { changeType: 'added', path: '/etc/new', changedAttributes: [] },
    ]);
  });

  it('does not report entries that vanish because the policy shrank', () => {
    const www = target('/var/www');
    const changes = diffEntries({
      before: sorted([['/etc/hosts', file()], ['/var/www/index.html', file()]]),
      after: [],
      previousTargets: [ETC, www],
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([{ changeType: 'removed', path: '/etc/hosts', changedAttributes: [] }]);
  });

  it('does not report entries that vanish because a new exclusion covers them', () => {
    const excludingLogs = target('/etc', { exclude: ['*.log'] });
    const changes = diffEntries({
      before: sorted([['/etc/app/debug.log', file()], ['/etc/app/app.conf', file()]]),
      after: [],
      previousTargets: [ETC],
      targets: [excludingLogs],
    });
    expect(summary(changes)).toEqual([{ changeType: 'removed', path: '/etc/app/app.conf', changedAttributes: [] }]);
  });

  it('ignores entries outside every target, on either side', () => {
    const stray = file();
    const changes = diffEntries({
      before: sorted([['/home/u/.bashrc', stray], ['/root/gone', file()]]),
      after: sorted([['/home/u/.bashrc', { ...stray, mode: '0777' }], ['/srv/new', file()]]),
      targets: [ETC],
    });
    expect(changes).toEqual([]);
  });
});

describe('diffEntries: renames', () => {
  it('reports the same inode and content under a new path as one rename', () => {
    const old = file();
    const moved = { ...old, ctime: T1 };
    const changes = diffEntries({ before: [['/etc/nginx/site.conf', old]], after: [['/etc/nginx/site.conf.bak', moved]], targets: [ETC] });
    expect(changes).toEqual([
      {
        changeType: 'renamed',
        path: '/etc/nginx/site.conf.bak',
        previousPath: '/etc/nginx/site.conf',
        before: old,
        after: moved,
        changedAttributes: ['ctime'],
        target: ETC,
      },
    ]);
  });

  it('reports a move with a content change as removed + added, not renamed', () => {
    const old = file();
    const edited = { ...old, hash: { algorithm: 'sha256' as const, value: 'c'.repeat(64) } };
    const changes = diffEntries({ before: [['/etc/a.conf', old]], after: [['/etc/b.conf', edited]], targets: [ETC] });
    expect(summary(changes)).toEqual([
      { changeType: 'removed', path: '/etc/a.conf', changedAttributes: [] },
      { changeType: 'added', path: '/etc/b.conf', changedAttributes: [] },
    ]);
  });

  it('does not pair entries of different types or inodes', () => {
    const old = file();
    const sameInodeDir = dir({ inode: old.inode });
    const otherInode = { ...old, inode: old.inode + 100_000 };
    const changes = diffEntries({ before: [['/etc/a', old]], after: sorted([['/etc/b', sameInodeDir], ['/etc/c', otherInode]]), targets: [ETC] });
    expect(changes.map((c) => c.changeType)).toEqual(['removed', 'added', 'added']);
  });

  it('does not detect renames when the inode is 0 (Windows)', () => {
    const old = file({ inode: 0 });
    const changes = diffEntries({ before: [['/etc/a', old]], after: [['/etc/b', { ...old }]], targets: [ETC] });
    expect(changes.map((c) => `${c.changeType} ${c.path}`)).toEqual(['removed /etc/a', 'added /etc/b']);
  });

  it('does not detect renames when detectRenames is false', () => {
    const old = file();
    const changes = diffEntries({ before: [['/etc/a', old]], after: [['/etc/b', { ...old }]], targets: [ETC], detectRenames: false });
    expect(changes.map((c) => c.changeType)).toEqual(['removed', 'added']);
  });

  it('renames a symlink when its link target is unchanged, not when it changed', () => {
    const link = symlink('/usr/lib/libssl.so.3');
    const kept = diffEntries({ before: [['/etc/ssl/lib', link]], after: [['/etc/ssl/lib2', { ...link }]], targets: [ETC] });
    expect(summary(kept)).toEqual([{ changeType: 'renamed', path: '/etc/ssl/lib2', previousPath: '/etc/ssl/lib', changedAttributes: [] }]);
    const retargeted = diffEntries({ before: [['/etc/ssl/lib', link]], after: [['/etc/ssl/lib2', { ...link, linkTarget: '/tmp/x' }]], targets: [ETC] });
    expect(retargeted.map((c) => c.changeType)).toEqual(['removed', 'added']);
  });

  it('renames a directory and its children, and drops the parent directory noise', () => {
    const etc = dir();
    const confD = dir();
    const child = file();
    const changes = diffEntries({
      before: sorted([['/etc/x', etc], ['/etc/x/conf.d', confD], ['/etc/x/conf.d/a.conf', child]]),
      after: sorted([['/etc/x', { ...etc, mtime: T1, ctime: T1 }], ['/etc/x/conf2.d', { ...confD, ctime: T1 }], ['/etc/x/conf2.d/a.conf', child]]),
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([
      { changeType: 'renamed', path: '/etc/x/conf2.d', previousPath: '/etc/x/conf.d', changedAttributes: ['ctime'] },
      { changeType: 'renamed', path: '/etc/x/conf2.d/a.conf', previousPath: '/etc/x/conf.d/a.conf', changedAttributes: [] },
    ]);
  });

  it('pairs hard links deterministically: same name first, then first by path; the rest stay removed/added', () => {
    const inode = nextInode++;
    const content = file({ inode });
    // Three links to one inode: two disappear, one new one appears.
    const changes = diffEntries({
      before: sorted([['/etc/a/one', content], ['/etc/a/two', { ...content }], ['/etc/a/zz', { ...content }]]),
      after: sorted([['/etc/a/zz', { ...content }], ['/etc/b/three', { ...content }]]),
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([
      { changeType: 'removed', path: '/etc/a/two', changedAttributes: [] },
      { changeType: 'renamed', path: '/etc/b/three', previousPath: '/etc/a/one', changedAttributes: [] },
    ]);
    // Two links moved together keep their own names.
    const moved = diffEntries({
      before: sorted([['/etc/a/one', content], ['/etc/a/two', { ...content }]]),
      after: sorted([['/etc/b/one', { ...content }], ['/etc/b/two', { ...content }]]),
      targets: [ETC],
    });
    expect(summary(moved)).toEqual([
      { changeType: 'renamed', path: '/etc/b/one', previousPath: '/etc/a/one', changedAttributes: [] },
      { changeType: 'renamed', path: '/etc/b/two', previousPath: '/etc/a/two', changedAttributes: [] },
    ]);
    // A link that keeps its name across the move is paired with its own old path, not the first one.
    const renamedDir = diffEntries({
      before: sorted([['/etc/a/one', content], ['/etc/a/two', { ...content }]]),
      after: [['/etc/b/two', { ...content }]],
      targets: [ETC],
    });
    expect(summary(renamedDir)).toEqual([
      { changeType: 'removed', path: '/etc/a/one', changedAttributes: [] },
      { changeType: 'renamed', path: '/etc/b/two', previousPath: '/etc/a/two', changedAttributes: [] },
    ]);
    // One link removed, two appear: the first by path is the rename, the other is added.
    const split = diffEntries({
      before: [['/etc/a/one', content]],
      after: sorted([['/etc/c/x', { ...content }], ['/etc/b/y', { ...content }]]),
      targets: [ETC],
    });
    expect(summary(split)).toEqual([
      { changeType: 'renamed', path: '/etc/b/y', previousPath: '/etc/a/one', changedAttributes: [] },
      { changeType: 'added', path: '/etc/c/x', changedAttributes: [] },
    ]);
  });

  it('does not treat a new hard link to an unchanged file as a rename', () => {
    const original = file();
    const changes = diffEntries({ before: [['/etc/a', original]], after: sorted([['/etc/a', original], ['/etc/b', { ...original }]]), targets: [ETC] });
    expect(summary(changes)).toEqual([{ changeType: 'added', path: '/etc/b', changedAttributes: [] }]);
  });

  it('renames across targets and takes the new path’s target', () => {
    const old = file();
    const changes = diffEntries({ before: [['/etc/tool', old]], after: [['/opt/app/tool', { ...old }]], targets: [ETC, OPT] });
    expect(summary(changes)).toEqual([{ changeType: 'renamed', path: '/opt/app/tool', previousPath: '/etc/tool', changedAttributes: [] }]);
    expect(changes[0].target).toBe(OPT);
    expect(severityOf(changes[0])).toBe('critical');
  });

  it('reports a move out of every target as removed', () => {
    const old = file();
    const changes = diffEntries({ before: [['/etc/tool', old]], after: [['/home/u/tool', { ...old }]], targets: [ETC] });
    expect(summary(changes)).toEqual([{ changeType: 'removed', path: '/etc/tool', changedAttributes: [] }]);
  });

  it('pairs unhashed files only when size and mtime also match', () => {
    const { hash: _h, ...bare } = file();
    const renamed = diffEntries({ before: [['/etc/a', bare]], after: [['/etc/b', { ...bare }]], targets: [ETC] });
    expect(renamed.map((c) => c.changeType)).toEqual(['renamed']);
    const rewritten = diffEntries({ before: [['/etc/a', bare]], after: [['/etc/b', { ...bare, size: bare.size + 1 }]], targets: [ETC] });
    expect(rewritten.map((c) => c.changeType)).toEqual(['removed', 'added']);
  });
});

describe('diffEntries: directory noise', () => {
  const touched = (d: Entry): Entry => ({ ...d, mtime: T1, ctime: T1 });

  it('suppresses a directory mtime/ctime change when a child was added', () => {
    const ssh = dir();
    const changes = diffEntries({
      before: [['/etc/ssh', ssh]],
      after: sorted([['/etc/ssh', touched(ssh)], ['/etc/ssh/new_key', file()]]),
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([{ changeType: 'added', path: '/etc/ssh/new_key', changedAttributes: [] }]);
  });

  it('suppresses a directory mtime/ctime change when a child was removed', () => {
    const ssh = dir();
    const changes = diffEntries({
      before: sorted([['/etc/ssh', ssh], ['/etc/ssh/old_key', file()]]),
      after: [['/etc/ssh', touched(ssh)]],
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([{ changeType: 'removed', path: '/etc/ssh/old_key', changedAttributes: [] }]);
  });

  it('suppresses both directories when a child moved from one to the other', () => {
    const a = dir();
    const b = dir();
    const child = file();
    const changes = diffEntries({
      before: sorted([['/etc/a', a], ['/etc/a/f', child], ['/etc/b', b]]),
      after: sorted([['/etc/a', touched(a)], ['/etc/b', touched(b)], ['/etc/b/f', child]]),
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([{ changeType: 'renamed', path: '/etc/b/f', previousPath: '/etc/a/f', changedAttributes: [] }]);
  });

  it('suppresses a directory size change that comes with a child change (tmpfs, btrfs, XFS)', () => {
    const ssh = dir({ size: 60 });
    const changes = diffEntries({
      before: [['/etc/ssh', ssh]],
      after: sorted([['/etc/ssh', { ...touched(ssh), size: 80 }], ['/etc/ssh/new_key', file()]]),
      targets: [ETC],
    });
    expect(changes.map((c) => c.path)).toEqual(['/etc/ssh/new_key']);
  });

  it('still reports a directory mode change when a child was added', () => {
    const ssh = dir();
    const changes = diffEntries({
      before: [['/etc/ssh', ssh]],
      after: sorted([['/etc/ssh', { ...touched(ssh), mode: '0777' }], ['/etc/ssh/new_key', file()]]),
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([
      { changeType: 'modified', path: '/etc/ssh', changedAttributes: ['mode', 'mtime', 'ctime'] },
      { changeType: 'added', path: '/etc/ssh/new_key', changedAttributes: [] },
    ]);
  });

  it('still reports a directory mtime change with no child change (e.g. a file was created and deleted)', () => {
    const ssh = dir();
    const changes = diffEntries({ before: [['/etc/ssh', ssh]], after: [['/etc/ssh', touched(ssh)]], targets: [ETC] });
    expect(summary(changes)).toEqual([{ changeType: 'modified', path: '/etc/ssh', changedAttributes: ['mtime', 'ctime'] }]);
  });

  it('only counts direct children: a grandchild does not silence the grandparent', () => {
    const top = dir();
    const sub = dir();
    const changes = diffEntries({
      before: sorted([['/etc/top', top], ['/etc/top/sub', sub]]),
      after: sorted([['/etc/top', touched(top)], ['/etc/top/sub', touched(sub)], ['/etc/top/sub/x', file()]]),
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([
      { changeType: 'modified', path: '/etc/top', changedAttributes: ['mtime', 'ctime'] },
      { changeType: 'added', path: '/etc/top/sub/x', changedAttributes: [] },
    ]);
  });

  it('does not silence a file whose mtime changed next to an added sibling', () => {
    const f = file();
    const changes = diffEntries({
      before: [['/etc/ssh/f', f]],
      after: sorted([['/etc/ssh/f', { ...f, mtime: T1 }], ['/etc/ssh/g', file()]]),
      targets: [ETC],
    });
    expect(changes.map((c) => `${c.changeType} ${c.path}`)).toEqual(['modified /etc/ssh/f', 'added /etc/ssh/g']);
  });

  it('does not count a child that only came into scope as a child change', () => {
    const app = dir();
    const changes = diffEntries({
      before: [['/etc/app', app]],
      after: sorted([['/etc/app', touched(app)], ['/etc/app/new.conf', file()]]),
      previousTargets: [target('/etc', { exclude: ['*.conf'] })],
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([{ changeType: 'modified', path: '/etc/app', changedAttributes: ['mtime', 'ctime'] }]);
  });
});

describe('diffEntries: what the agent could not see', () => {
  it('does not report as removed what lies below a directory it could not list', () => {
    const locked = dir();
    const changes = diffEntries({
      before: sorted([['/etc/secret', locked], ['/etc/secret/key', file()], ['/etc/secret-z', file({ inode: 5 })]]),
      after: sorted([['/etc/secret', { ...locked, mode: '0700', unreadable: 'EACCES' }]]),
      targets: [ETC],
    });
    expect(summary(changes)).toEqual([
      { changeType: 'modified', path: '/etc/secret', changedAttributes: ['content', 'mode'] },
      { changeType: 'removed', path: '/etc/secret-z', changedAttributes: [] },
    ]);
  });
});

describe('parentPath', () => {
  it('takes a backslash in a POSIX path as part of a name (wire escapes of odd bytes)', () => {
    expect(parentPath('/etc/cron.d/evil-\\xff.conf')).toBe('/etc/cron.d');
    expect(parentPath('/etc/app-\\xff')).toBe('/etc');
  });

  it('finds the parent of POSIX and Windows paths', () => {
    expect(parentPath('/etc/ssh/sshd_config')).toBe('/etc/ssh');
    expect(parentPath('/etc')).toBe('/');
    expect(parentPath('/')).toBeUndefined();
    expect(parentPath('C:\\Windows\\win.ini')).toBe('C:\\Windows');
    expect(parentPath('C:\\Windows')).toBe('C:\\');
    expect(parentPath('C:\\')).toBeUndefined();
  });
});

describe('diffEntries at scale', () => {
  it('diffs two 100,000-entry lists that differ by a handful of entries', () => {
    const before: PathEntry[] = [];
    for (let d = 0; d < 1000; d++) {
      const folder = `/opt/app/data/d${String(d).padStart(4, '0')}`;
      before.push([folder, dir({ inode: 1_000_000 + d })]);
      for (let f = 0; f < 99; f++) {
        before.push([`${folder}/f${String(f).padStart(3, '0')}`, file({ inode: 2_000_000 + d * 100 + f, hash: { algorithm: 'sha256', value: `h${d}-${f}` } })]);
      }
    }
    before.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(before).toHaveLength(100_000);

    const after: PathEntry[] = before.map(([p, e]) => [p, { ...e }]);
    const index = new Map(after.map((pe, i) => [pe[0], i]));
    const at = (p: string) => after[index.get(p)!];
    at('/opt/app/data/d0100/f010')[1].hash = { algorithm: 'sha256', value: 'tampered' }; // modified
    at('/opt/app/data/d0200/f020')[1].mode = '0777'; // modified
    at('/opt/app/data/d0300/f030')[0] = '/opt/app/data/d0300/f030.moved'; // renamed
    after.splice(index.get('/opt/app/data/d0400/f040')!, 1); // removed
    after.push(['/opt/app/data/d0500/zz-new', file()]); // added
    after.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

    const changes = diffEntries({ before, after, targets: [OPT] });

    expect(summary(changes)).toEqual([
      { changeType: 'modified', path: '/opt/app/data/d0100/f010', changedAttributes: ['content'] },
      { changeType: 'modified', path: '/opt/app/data/d0200/f020', changedAttributes: ['mode'] },
      { changeType: 'renamed', path: '/opt/app/data/d0300/f030.moved', previousPath: '/opt/app/data/d0300/f030', changedAttributes: [] },
      { changeType: 'removed', path: '/opt/app/data/d0400/f040', changedAttributes: [] },
      { changeType: 'added', path: '/opt/app/data/d0500/zz-new', changedAttributes: [] },
    ]);
    expect(changes.every((c) => c.target === OPT)).toBe(true);
  });
});

// Type-level check: the exported interface stays as the scan-ingest worker expects.
const _attributes: EntryAttribute[] = compareEntries(file(), file(), ENTRY_ATTRIBUTES);
void _attributes;
