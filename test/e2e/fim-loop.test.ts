import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { runAgent, startAgent } from '../helpers/agent.ts';
import { eventsOf as serverEvents, scanCycle as cycle, setUpServer as setUp } from '../helpers/fim.ts';
import { startHoldProxy } from '../helpers/hold-proxy.ts';

/**
 * Issue 3 acceptance: the real agent CLI on real temp directories against the real local stack.
 */
let stack: TestStack;
let admin: string;
const root = mkdtempSync(join(tmpdir(), 'dw-e2e-'));
const setUpServer = (name: string, targets: unknown[], apiUrl?: string) => setUp(stack, root, name, targets, { apiUrl });
const scanCycle = (serverId: string, stateDir: string) => cycle(stack, serverId, stateDir);
const eventsOf = (serverId: string) => serverEvents(stack, serverId);
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('the walk-through', () => {
  const W = join(root, 'walk');
  let server: Awaited<ReturnType<typeof setUpServer>>;

  beforeAll(async () => {
    mkdirSync(join(W, 'etc/sub'), { recursive: true });
    mkdirSync(join(W, 'etc/logs'), { recursive: true });
    mkdirSync(join(W, 'bin'), { recursive: true });
    writeFileSync(join(W, 'etc/a.conf'), 'alpha=1\n');
    writeFileSync(join(W, 'etc/b.conf'), 'beta=1\n');
    writeFileSync(join(W, 'etc/old.conf'), 'old=1\n');
    writeFileSync(join(W, 'etc/sub/c.txt'), 'see\n');
    writeFileSync(join(W, 'etc/logs/x.log'), 'log0\n');
    symlinkSync('a.conf', join(W, 'etc/link'));
    writeFileSync(join(W, 'bin/tool'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    chmodSync(join(W, 'bin/tool'), 0o755);
    server = await setUpServer('web', [
      { path: join(W, 'etc'), recursive: true, exclude: ['*.log'] },
      { path: join(W, 'bin'), recursive: true, critical: true },
    ]);
  });

  it('enrolls into the tagged group', async () => {
    const srv = await stack.api('GET', `/v1/servers/${server.serverId}`, { key: admin });
    expect(srv.json).toMatchObject({ groupId: server.groupId, hostname: 'web-1', status: 'active', fimState: 'inherit' });
  });

  it('first scan is the baseline: completed, no events', async () => {
    const scan = await scanCycle(server.serverId, server.stateDir);
    expect(scan.stats).toMatchObject({ added: 0, modified: 0, removed: 0, renamed: 0 });
    expect(scan.stats.filesScanned).toBeGreaterThanOrEqual(9);
    expect(await eventsOf(server.serverId)).toEqual([]);
  });

  it('reports exactly the changes, with before/after entries, severities and stats', async () => {
    writeFileSync(join(W, 'etc/a.conf'), 'alpha=2\n');
    chmodSync(join(W, 'etc/b.conf'), 0o600);
    writeFileSync(join(W, 'etc/new.conf'), 'new=1\n');
    rmSync(join(W, 'etc/sub/c.txt'));
    renameSync(join(W, 'etc/old.conf'), join(W, 'etc/renamed.conf'));
    writeFileSync(join(W, 'etc/logs/x.log'), 'log1 excluded\n');
    writeFileSync(join(W, 'bin/tool'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 9, 9, 9]));
    const scan = await scanCycle(server.serverId, server.stateDir);
    const events = await eventsOf(server.serverId);
    const summary = events.map((e) => `${e.changeType} ${e.path.slice(W.length)}`).sort();
    expect(summary).toEqual([
      'added /etc/new.conf',
      'modified /bin/tool',
      'modified /etc/a.conf',
      'modified /etc/b.conf',
      'removed /etc/sub/c.txt',
      'renamed /etc/renamed.conf',
    ]);
    const by = (suffix: string) => events.find((e) => e.path.endsWith(suffix))!;
    expect(by('/etc/a.conf').changedAttributes).toContain('content');
    expect(by('/etc/a.conf').before.hash).toEqual({ algorithm: 'sha256', value: sha256('alpha=1\n') });
    expect(by('/etc/a.conf').after.hash).toEqual({ algorithm: 'sha256', value: sha256('alpha=2\n') });
    expect(by('/etc/b.conf').changedAttributes).toContain('mode');
    expect(by('/etc/b.conf').changedAttributes).not.toContain('content');
    expect(by('/etc/b.conf').before.mode).toBe('0644');
    expect(by('/etc/b.conf').after.mode).toBe('0600');
    expect(by('/etc/new.conf')).toMatchObject({ before: null, after: { type: 'file', hash: { value: sha256('new=1\n') } } });
    expect(by('/etc/sub/c.txt')).toMatchObject({ after: null, before: { type: 'file', hash: { value: sha256('see\n') } } });
    expect(by('/etc/renamed.conf').previousPath).toBe(join(W, 'etc/old.conf'));
    expect(by('/bin/tool')).toMatchObject({ severity: 'critical', targetPath: join(W, 'bin') });
    expect(by('/bin/tool').after.hash.value).toBe(sha256(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 9, 9, 9])));
    expect(by('/etc/a.conf')).toMatchObject({ severity: 'normal', source: 'scan', scanId: scan.id, hostname: 'web-1', groupId: server.groupId, policyId: server.policyId });
    expect(scan.stats).toMatchObject({ added: 1, modified: 3, removed: 1, renamed: 1 });
  });

  it('an unchanged rescan yields no new events', async () => {
    const before = (await eventsOf(server.serverId)).length;
    const scan = await scanCycle(server.serverId, server.stateDir);
    expect(scan.stats).toMatchObject({ added: 0, modified: 0, removed: 0, renamed: 0 });
    expect((await eventsOf(server.serverId)).length).toBe(before);
  });

  it('drift lists what differs from the baseline; a rebuilt baseline clears it without events', async () => {
    const drift = await stack.api('GET', `/v1/servers/${server.serverId}/drift`, { key: admin });
    expect(drift.status).toBe(200);
    expect(drift.json.items.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining([join(W, 'etc/a.conf'), join(W, 'etc/new.conf')]));
    const before = (await eventsOf(server.serverId)).length;
    const rebuild = await stack.api('POST', `/v1/servers/${server.serverId}/baseline/rebuild`, { key: admin });
    expect(rebuild.status).toBe(202);
    expect(rebuild.json.kind).toBe('baseline');
    writeFileSync(join(W, 'etc/a.conf'), 'alpha=3\n');
    expect((await runAgent(['run', '--once'], { stateDir: server.stateDir })).code).toBe(0);
    await stack.drain();
    expect((await stack.api('GET', `/v1/scans/${rebuild.json.id}`, { key: admin })).json.status).toBe('completed');
    expect((await eventsOf(server.serverId)).length).toBe(before);
    expect((await stack.api('GET', `/v1/servers/${server.serverId}/drift`, { key: admin })).json.items).toEqual([]);
  });
});

describe('upload cost', () => {
  it('an unchanged rescan of a 20,000-file tree uploads at most 2 KB', async () => {
    const T = join(root, 'big');
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(T, `d${d}`), { recursive: true });
      for (let f = 0; f < 200; f++) writeFileSync(join(T, `d${d}`, `f${f}.conf`), `value=${d}.${f}\n`);
    }
    const server = await setUpServer('big', [{ path: T }]);
    const first = await runAgent(['scan'], { stateDir: server.stateDir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.json.filesScanned).toBe(20_101);
    const again = await runAgent(['scan'], { stateDir: server.stateDir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ filesScanned: 20_101, added: 0, modified: 0, removed: 0, renamed: 0 });
    expect(again.json.bytesUploaded).toBeGreaterThan(0);
    expect(again.json.bytesUploaded).toBeLessThanOrEqual(2048);
    expect(first.json.bytesUploaded).toBeGreaterThan(again.json.bytesUploaded * 50);
  });
});

describe('resilience', () => {
  it('an agent killed mid-upload finishes the scan on its next run, with each event once', async () => {
    const R = join(root, 'resume');
    mkdirSync(R, { recursive: true });
    for (let i = 0; i < 200; i++) writeFileSync(join(R, `file${i}.txt`), `content ${i}\n`);
    // Once armed, hold the first `complete` that follows a node upload: nodes are stored, the scan is not done.
    let armedAt = Infinity;
    const proxy = await startHoldProxy(
      stack.apiUrl,
      (method, path, forwarded) => method === 'POST' && path.endsWith('/complete') && forwarded.slice(armedAt).some((p) => p.endsWith('/nodes')),
    );
    try {
      const server = await setUpServer('resume', [{ path: R }], proxy.url);
      await scanCycle(server.serverId, server.stateDir);
      for (let i = 0; i < 10; i++) writeFileSync(join(R, `file${i}.txt`), `changed ${i}\n`);
      for (let i = 0; i < 5; i++) writeFileSync(join(R, `new${i}.txt`), `new ${i}\n`);
      for (let i = 190; i < 195; i++) rmSync(join(R, `file${i}.txt`));
      const scan = await stack.api('POST', `/v1/servers/${server.serverId}/scans`, { key: admin });
      armedAt = proxy.forwarded.length;
      const agent = startAgent(['run', '--once'], { stateDir: server.stateDir });
      await proxy.held;
      agent.child.kill('SIGKILL');
      await agent.done;
      expect((await stack.api('GET', `/v1/scans/${scan.json.id}`, { key: admin })).json.status).toBe('running');

      const rerun = await runAgent(['run', '--once'], { stateDir: server.stateDir });
      expect(rerun.code, rerun.stderr).toBe(0);
      await stack.drain();
      const done = await stack.api('GET', `/v1/scans/${scan.json.id}`, { key: admin });
      expect(done.json).toMatchObject({ status: 'completed', stats: { added: 5, modified: 10, removed: 5, renamed: 0 } });
      const events = await eventsOf(server.serverId);
      expect(events).toHaveLength(20);
      expect(new Set(events.map((e) => e.path)).size).toBe(20);
    } finally {
      await proxy.close();
    }
  });
});
