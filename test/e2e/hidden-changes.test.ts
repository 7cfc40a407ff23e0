import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { runAgent } from '../helpers/agent.ts';
import { eventsOf, scanCycle, setUpServer } from '../helpers/fim.ts';
import { ACL_ANY, aclValue } from '../helpers/acl.ts';

/**
 * Issue 11 "What was found": what an attacker would use to hide, each on a real temp tree with the real
 * agent CLI against the local stack. Each case asserts the one event it must yield (before and after)
 * and nothing else.
 */
let stack: TestStack;
const root = mkdtempSync(join(tmpdir(), 'dw-hidden-'));
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
/** A path with raw bytes: `bytes('/x/app-', 0xff, '/bin')`. */
const bytes = (...parts: (string | number)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p))));
const has = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
  // GNU rm walks relative to open directories: deeper than PATH_MAX is no problem for it.
  execFileSync('rm', ['-rf', root]);
});

/** The events of `serverId` newer than `seen`, as `changeType path` lines relative to `base`. */
async function newEvents(serverId: string, seen: number, base: string) {
  const events = (await eventsOf(stack, serverId)).slice(0, -seen || undefined);
  return { events, summary: events.map((e) => `${e.changeType} ${e.path.slice(base.length)}`).sort() };
}

describe('names that are not valid UTF-8', () => {
  const W = join(root, 'names');
  let server: Awaited<ReturnType<typeof setUpServer>>;

  beforeAll(async () => {
    mkdirSync(join(W, 'cron.d'), { recursive: true });
    writeFileSync(join(W, 'cron.d/a.conf'), 'a\n');
    mkdirSync(bytes(W, '/app-', 0xff, '/sub'), { recursive: true });
    writeFileSync(bytes(W, '/app-', 0xff, '/bin'), 'v1\n');
    mkdirSync(bytes(W, '/app-', 0xfe), { recursive: true });
    writeFileSync(bytes(W, '/app-', 0xfe, '/bin'), 'other\n');
    mkdirSync(join(W, 'links'));
    symlinkSync(bytes(W, '/app-', 0xff, '/bin'), join(W, 'links/current'));
    server = await setUpServer(stack, root, 'names', [{ path: W }]);
    const baseline = await scanCycle(stack, server.serverId, server.stateDir);
    expect(baseline.stderr).not.toMatch(/vanished|ENOENT/);
    // root, cron.d, a.conf, app-\xff, its bin and sub, app-\xfe and its bin, links, links/current
    expect(baseline.stats.filesScanned).toBe(10);
  });

  it('a file added under such a name, and everything below a directory with such a name, is seen', async () => {
    const seen = (await eventsOf(stack, server.serverId)).length;
    writeFileSync(bytes(W, '/cron.d/evil-', 0xff, '.conf'), 'ALL ALL=(ALL) NOPASSWD: ALL\n');
    writeFileSync(bytes(W, '/app-', 0xff, '/bin'), 'v2\n');
    writeFileSync(bytes(W, '/app-', 0xff, '/sub/new'), 'new\n');
    const scan = await scanCycle(stack, server.serverId, server.stateDir);
    expect(scan.stderr).not.toMatch(/vanished|ENOENT/);
    const { events, summary } = await newEvents(server.serverId, seen, W);
    expect(summary).toEqual(['added /app-\\xff/sub/new', 'added /cron.d/evil-\\xff.conf', 'modified /app-\\xff/bin']);
    const by = (suffix: string) => events.find((e) => e.path === W + suffix)!;
    expect(by('/cron.d/evil-\\xff.conf')).toMatchObject({ before: null, after: { type: 'file', hash: { value: sha256('ALL ALL=(ALL) NOPASSWD: ALL\n') } } });
    expect(by('/app-\\xff/bin').changedAttributes).toContain('content');
    expect(by('/app-\\xff/bin').before.hash.value).toBe(sha256('v1\n'));
    expect(by('/app-\\xff/bin').after.hash.value).toBe(sha256('v2\n'));
    expect(scan.stats).toMatchObject({ added: 2, modified: 1, removed: 0, renamed: 0, skipped: 0, unreadable: 0 });
    // The agent lists what it saw change on stderr, escaped names as they are everywhere.
    expect(scan.stderr).toContain(`policy names: added ${W}/cron.d/evil-\\xff.conf\n`);
    expect(scan.stderr).toContain(`policy names: modified ${W}/app-\\xff/bin [content, mtime, ctime]\n`);
  });

  it('a symlink retargeted between two such targets changes its linkTarget', async () => {
    const seen = (await eventsOf(stack, server.serverId)).length;
    unlinkSync(join(W, 'links/current'));
    symlinkSync(bytes(W, '/app-', 0xfe, '/bin'), join(W, 'links/current'));
    await scanCycle(stack, server.serverId, server.stateDir);
    const { events, summary } = await newEvents(server.serverId, seen, W);
    // A symlink cannot be changed in place: replacing it also rewrites its directory's times.
    expect(summary).toEqual(['modified /links', 'modified /links/current']);
    const link = events.find((e) => e.path === `${W}/links/current`)!;
    expect(link.changedAttributes).toContain('linkTarget');
    expect(link.before.linkTarget).toBe(`${W}/app-\\xff/bin`);
    expect(link.after.linkTarget).toBe(`${W}/app-\\xfe/bin`);
  });
});

describe('paths longer than PATH_MAX', () => {
  const W = join(root, 'deep');
  const segment = 'd'.repeat(200);
  const depth = 21;
  const deepDir = join(W, ...Array.from({ length: depth }, () => segment));
  /** Writes `secret` at the bottom, creating the directories: one relative chdir at a time, as no absolute path this long is usable. */
  const writeDeep = (content: string) =>
    execFileSync(process.execPath, [
      '-e',
      `const fs = require('fs'); process.chdir(process.argv[1]); for (let i = 0; i < ${depth}; i++) { fs.mkdirSync('${segment}', { recursive: true }); process.chdir('${segment}'); } fs.writeFileSync('secret', process.argv[2]);`,
      W,
      content,
    ]);

  it('a file below 21 nested 200-character directories is recorded and its change reported', async () => {
    mkdirSync(W, { recursive: true });
    writeDeep('v1\n');
    expect(deepDir.length).toBeGreaterThan(4096);
    const server = await setUpServer(stack, root, 'deep', [{ path: W }]);
    const baseline = await scanCycle(stack, server.serverId, server.stateDir);
    expect(baseline.stderr).not.toMatch(/ENAMETOOLONG|too long/);
    expect(baseline.stats.filesScanned).toBe(depth + 2);

    writeDeep('v2\n');
    await scanCycle(stack, server.serverId, server.stateDir);
    const events = await eventsOf(stack, server.serverId);
    expect(events.map((e) => `${e.changeType} ${e.path}`)).toEqual([`modified ${deepDir}/secret`]);
    expect(events[0].before.hash.value).toBe(sha256('v1\n'));
    expect(events[0].after.hash.value).toBe(sha256('v2\n'));
  });
});

describe('extended attributes, capabilities, ACLs and link counts', () => {
  const W = join(root, 'attrs');
  const tools = has('getfattr') && has('setfattr');
  const acl = (...entries: [number, number, number][]) => `0x${aclValue(...entries).toString('hex')}`;
  const setfattr = (path: string, name: string, value: string) => execFileSync('setfattr', ['-h', '-n', name, '-v', value, path]);
  const ANY = ACL_ANY;

  it('setcap, a relabel, an added ACL and a new hard link are each reported with their attribute', async () => {
    mkdirSync(join(W, 'bin'), { recursive: true });
    mkdirSync(join(W, 'etc'), { recursive: true });
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    writeFileSync(join(W, 'bin/tool'), '#!/bin/sh\n');
    chmodSync(join(W, 'bin/tool'), 0o755);
    writeFileSync(join(W, 'etc/labeled'), 'x\n');
    writeFileSync(join(W, 'etc/shared'), 'y\n');
    writeFileSync(join(W, 'etc/linked'), 'z\n');
    if (tools) setfattr(join(W, 'etc/labeled'), 'security.selinux', 'system_u:object_r:etc_t:s0');
    const server = await setUpServer(stack, root, 'attrs', [{ path: W }]);
    const baseline = await scanCycle(stack, server.serverId, server.stateDir);

    if (tools) {
      // cap_setuid (7) permitted + effective, revision 2: what `setcap cap_setuid+ep` writes.
      setfattr(join(W, 'bin/tool'), 'security.capability', '0x0100000280000000000000000000000000000000');
      setfattr(join(W, 'etc/labeled'), 'security.selinux', 'system_u:object_r:shadow_t:s0');
      setfattr(join(W, 'etc/shared'), 'system.posix_acl_access', acl([1, 6, ANY], [2, 4, 1000], [4, 4, ANY], [0x10, 4, ANY], [0x20, 4, ANY]));
    }
    linkSync(join(W, 'etc/linked'), join(root, 'elsewhere/linked'));
    const scan = await scanCycle(stack, server.serverId, server.stateDir);
    const events = await eventsOf(stack, server.serverId);
    const by = (suffix: string) => events.find((e) => e.path === W + suffix)!;
    expect(by('/etc/linked').changedAttributes).toEqual(['ctime', 'nlink']);
    expect(by('/etc/linked').before.nlink).toBe(1);
    expect(by('/etc/linked').after.nlink).toBe(2);

    if (!tools) {
      // Without getfattr the agent still scans, and says which attributes it could not read.
      expect(baseline.unsupportedAttributes).toEqual(['xattrs', 'acl', 'caps']);
      expect(scan.unsupportedAttributes).toEqual(['xattrs', 'acl', 'caps']);
      expect(events.map((e) => e.path)).toEqual([W + '/etc/linked']);
      return;
    }
    expect(baseline.unsupportedAttributes ?? []).toEqual([]);
    expect(events.map((e) => `${e.changeType} ${e.path.slice(W.length)}`).sort()).toEqual([
      'modified /bin/tool',
      'modified /etc/labeled',
      'modified /etc/linked',
      'modified /etc/shared',
    ]);
    expect(by('/bin/tool').changedAttributes).toEqual(['ctime', 'caps']);
    expect(by('/bin/tool').before.caps).toBeUndefined();
    expect(by('/bin/tool').after.caps).toBe('cap_setuid=ep');
    expect(by('/etc/labeled').changedAttributes).toEqual(['ctime', 'xattrs']);
    expect(by('/etc/labeled').before.xattrs).toEqual({ 'security.selinux': 'system_u:object_r:etc_t:s0' });
    expect(by('/etc/labeled').after.xattrs).toEqual({ 'security.selinux': 'system_u:object_r:shadow_t:s0' });
    expect(by('/etc/shared').changedAttributes).toEqual(['ctime', 'acl']);
    expect(by('/etc/shared').before.acl).toBeUndefined();
    expect(by('/etc/shared').after.acl).toBe('user::rw-,user:1000:r--,group::r--,mask::r--,other::r--');
  });

  it('without getfattr the scan still completes and names the attributes it could not read', async () => {
    const D = join(root, 'no-tools');
    mkdirSync(D, { recursive: true });
    writeFileSync(join(D, 'f'), 'f\n');
    const server = await setUpServer(stack, root, 'no-tools', [{ path: D }]);
    // A PATH holding only node: the agent finds no getfattr.
    const bin = join(root, 'only-node');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const env = { PATH: bin };
    const baseline = await scanCycle(stack, server.serverId, server.stateDir, { env });
    expect(baseline.unsupportedAttributes).toEqual(['xattrs', 'acl', 'caps']);
    expect(baseline.stderr).toMatch(/getfattr/);
  });

  it('getfattr gone: what the cache knows stands (ctime unchanged), a changed file makes the scan say its attributes are unread', async () => {
    const D = join(root, 'tools-gone');
    mkdirSync(D, { recursive: true });
    writeFileSync(join(D, 'tool'), '#!/bin/sh\n');
    writeFileSync(join(D, 'labeled'), 'x\n');
    if (tools) {
      setfattr(join(D, 'tool'), 'security.capability', '0x0100000280000000000000000000000000000000');
      setfattr(join(D, 'labeled'), 'user.origin', 'vendor');
    }
    const server = await setUpServer(stack, root, 'tools-gone', [{ path: D }]);
    const withTools = await scanCycle(stack, server.serverId, server.stateDir);
    expect(withTools.unsupportedAttributes ?? []).toEqual(tools ? [] : ['xattrs', 'acl', 'caps']);
    const bin = join(root, 'node-only');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const env = { PATH: bin };
    // Nothing changed: every entry's ctime (which any xattr, ACL or capability change moves) is as
    // cached, so the cached attributes are still true and no getfattr is needed: nothing to report.
    const unchanged = await scanCycle(stack, server.serverId, server.stateDir, { env });
    expect(unchanged.stats).toMatchObject({ added: 0, modified: 0, removed: 0 });
    expect(await eventsOf(stack, server.serverId)).toEqual([]);
    // The capability is rewritten (or, without setfattr, the ctime moved): it would take getfattr to
    // know what changed. The scan says it could not read those attributes (GET /v1/scans/{id}) and the
    // server compares none of them: `caps` is reported neither removed nor unchanged, only the ctime.
    if (tools) setfattr(join(D, 'tool'), 'security.capability', '0x0100000200000000000000000000000000000000');
    else chmodSync(join(D, 'tool'), 0o644);
    const without = await scanCycle(stack, server.serverId, server.stateDir, { env });
    expect(without.unsupportedAttributes).toEqual(['xattrs', 'acl', 'caps']);
    expect(without.stderr).toMatch(/getfattr/);
    expect(without.stats).toMatchObject({ filesScanned: 3, added: 0, modified: 1, removed: 0 });
    const events = await eventsOf(stack, server.serverId);
    expect(events.map((e) => `${e.changeType} ${e.path}`)).toEqual([`modified ${D}/tool`]);
    expect(events[0].changedAttributes).toEqual(['ctime']);
  });
});

describe('files the agent cannot read', () => {
  const W = join(root, 'unreadable');
  const nobody = 65534;

  it('are recorded with their metadata and unreadable: EACCES, never as removed, and counted', async () => {
    mkdirSync(join(W, 'locked'), { recursive: true });
    chmodSync(root, 0o755);
    writeFileSync(join(W, 'f'), 'original\n');
    writeFileSync(join(W, 'g'), 'stays\n');
    writeFileSync(join(W, 'locked/inside'), 'inside\n');
    mkdirSync(join(W, 'listonly'));
    writeFileSync(join(W, 'listonly/x'), 'x\n');
    const stateDir = join(root, 'state-unreadable');
    mkdirSync(stateDir, { mode: 0o700 });
    chownSync(stateDir, nobody, nobody);
    const agent = { uid: nobody, gid: nobody, env: { HOME: stateDir } };
    const server = await setUpServer(stack, root, 'unreadable', [{ path: W }], { agent: { ...agent, stateDir } });
    const baseline = await scanCycle(stack, server.serverId, server.stateDir, agent);
    expect(baseline.stats).toMatchObject({ filesScanned: 7, skipped: 0, unreadable: 0 });

    chmodSync(join(W, 'f'), 0o600);
    appendFileSync(join(W, 'f'), 'tampered\n');
    chmodSync(join(W, 'locked'), 0o700);
    const scan = await scanCycle(stack, server.serverId, server.stateDir, agent);
    const events = await eventsOf(stack, server.serverId);
    expect(events.map((e) => `${e.changeType} ${e.path.slice(W.length)}`).sort()).toEqual(['modified /f', 'modified /locked']);
    const f = events.find((e) => e.path === `${W}/f`)!;
    expect(f.changedAttributes).toEqual(['content', 'size', 'mode', 'mtime', 'ctime']);
    expect(f.before).toMatchObject({ mode: '0644', hash: { value: sha256('original\n') } });
    expect(f.after).toMatchObject({ type: 'file', mode: '0600', size: 'original\ntampered\n'.length, unreadable: 'EACCES' });
    expect(f.after.hash).toBeUndefined();
    const locked = events.find((e) => e.path === `${W}/locked`)!;
    expect(locked.changedAttributes).toEqual(['content', 'mode', 'ctime']);
    expect(locked.after).toMatchObject({ type: 'directory', mode: '0700', unreadable: 'EACCES' });
    expect(scan.stats).toMatchObject({ filesScanned: 7, added: 0, modified: 2, removed: 0, skipped: 0, unreadable: 2 });

    // The CLI summary says so too.
    const cli = await runAgent(['scan'], { ...agent, stateDir: server.stateDir });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json).toMatchObject({ filesScanned: 7, removed: 0, unreadable: 2, skipped: 0 });

    // Readable again: the change of state is reported the other way, with the content read now; what
    // was below the unlistable directory kept its last known entry all along (no event). A directory
    // that can be listed but not searched: its entries cannot be stat'ed and are skipped, not removed.
    const seen = (await eventsOf(stack, server.serverId)).length;
    chmodSync(join(W, 'f'), 0o644);
    chmodSync(join(W, 'locked'), 0o755);
    chmodSync(join(W, 'listonly'), 0o744);
    const again = await scanCycle(stack, server.serverId, server.stateDir, agent);
    const { events: back, summary } = await newEvents(server.serverId, seen, W);
    expect(summary).toEqual(['modified /f', 'modified /listonly', 'modified /locked']);
    const f2 = back.find((e) => e.path === `${W}/f`)!;
    expect(f2.changedAttributes).toEqual(['content', 'mode', 'ctime']);
    expect(f2.before).toMatchObject({ mode: '0600', unreadable: 'EACCES' });
    expect(f2.after).toMatchObject({ mode: '0644', hash: { value: sha256('original\ntampered\n') } });
    expect(f2.after.unreadable).toBeUndefined();
    const locked2 = back.find((e) => e.path === `${W}/locked`)!;
    expect(locked2.changedAttributes).toEqual(['content', 'mode', 'ctime']);
    expect(locked2.before).toMatchObject({ mode: '0700', unreadable: 'EACCES' });
    expect(locked2.after.unreadable).toBeUndefined();
    const listonly = back.find((e) => e.path === `${W}/listonly`)!;
    expect(listonly.changedAttributes).toEqual(['mode', 'ctime']);
    expect(listonly.after).toMatchObject({ type: 'directory', mode: '0744' });
    expect(again.stats).toMatchObject({ filesScanned: 7, added: 0, modified: 3, removed: 0, skipped: 1, unreadable: 0 });
    expect(again.stderr).toMatch(/listonly\/x/);
  });
});
