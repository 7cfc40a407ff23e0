import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, type Api, type TestStack } from '../helpers/stack.ts';
import { runAgent, startAgent } from '../helpers/agent.ts';
import { killAllStarted, startNpm, terminate } from '../helpers/npm-start.ts';
import { buildAgent } from '../../scripts/build-agent.ts';

/** Issue 4 acceptance: real-time events, the spool across an API outage, `--full`, the one-file bundle. */
const root = mkdtempSync(join(tmpdir(), 'dw-agent-prod-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => {
  killAllStarted();
  rmSync(root, { recursive: true, force: true });
});

async function setUp(api: Api, admin: string, enrollmentKey: string, apiUrl: string, name: string, body: Record<string, unknown>, bin?: string) {
  const policy = await api('POST', '/v1/policies', { key: admin, body: { name, platform: 'linux', ...body } });
  expect(policy.status, policy.text).toBe(201);
  const group = await api('POST', '/v1/server-groups', { key: admin, body: { name, tag: name, policyIds: [policy.json.id] } });
  expect(group.status).toBe(201);
  const stateDir = join(root, `state-${name}`);
  const enrolled = await runAgent(['enroll', '--api', apiUrl, '--key', enrollmentKey, '--tag', name], { stateDir, bin });
  expect(enrolled.code, enrolled.stderr).toBe(0);
  return { serverId: enrolled.json.serverId as string, stateDir, policyId: policy.json.id as string };
}

describe('with the in-process stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());
  const events = async (serverId: string) => (await stack.api('GET', `/v1/events?serverId=${serverId}&limit=500`, { key: stack.credentials.adminKey })).json.items as any[];

  it('real time: a write is detected within 5 s and reported through the API as a real-time event', async () => {
    const W = join(root, 'rt');
    mkdirSync(join(W, 'conf'), { recursive: true });
    writeFileSync(join(W, 'conf/app.conf'), 'a=1\n');
    writeFileSync(join(W, 'conf/noise.log'), 'x\n');
    const server = await setUp(stack.api, stack.credentials.adminKey, stack.credentials.enrollmentKey, stack.apiUrl, 'rt', {
      state: 'real-time',
      targets: [{ path: W, exclude: ['*.log'] }],
    });
    expect((await runAgent(['scan'], { stateDir: server.stateDir })).code).toBe(0);
    const agent = startAgent(['run'], { stateDir: server.stateDir });
    try {
      // Wait until the agent says it watches.
      for (let i = 0; i < 100 && !/watching policy/.test(agent.stderr()); i++) await sleep(100);
      expect(agent.stderr()).toMatch(/watching policy/);
      writeFileSync(join(W, 'conf/noise.log'), 'excluded\n');
      const wroteAt = Date.now();
      writeFileSync(join(W, 'conf/app.conf'), 'a=2\n');
      let found: any;
      for (let i = 0; i < 150 && !found; i++) {
        found = (await events(server.serverId)).find((e) => e.path === join(W, 'conf/app.conf'));
        if (!found) await sleep(100);
      }
      expect(found).toMatchObject({ changeType: 'modified', source: 'real-time' });
      expect(Date.parse(found.detectedAt) - wroteAt).toBeLessThan(5000);
      expect((await events(server.serverId)).some((e) => e.path.endsWith('.log'))).toBe(false);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.done;
    }
  });

  it('--full catches a content change that kept size and mtime', async () => {
    const W = join(root, 'full');
    mkdirSync(W, { recursive: true });
    const file = join(W, 'same-size.conf');
    writeFileSync(file, 'secret=aaaa\n');
    // Whole seconds, so the restored mtime compares exactly on every file system.
    utimesSync(file, 1_790_000_000, 1_790_000_000);
    const server = await setUp(stack.api, stack.credentials.adminKey, stack.credentials.enrollmentKey, stack.apiUrl, 'full', { targets: [{ path: W }] });
    expect((await runAgent(['scan'], { stateDir: server.stateDir })).code).toBe(0);
    const { mtime, atime, size } = statSync(file);
    writeFileSync(file, 'secret=bbbb\n');
    utimesSync(file, atime, mtime);
    expect(statSync(file).size).toBe(size);
    expect(statSync(file).mtimeMs).toBe(mtime.getTime());
    const full = await runAgent(['scan', '--full'], { stateDir: server.stateDir });
    expect(full.code, full.stderr).toBe(0);
    expect(full.json).toMatchObject({ modified: 1 });
    const event = (await events(server.serverId)).find((e) => e.path === file);
    expect(event.changedAttributes).toContain('content');
    expect(event.changedAttributes).not.toContain('mtime');
    expect(event.changedAttributes).not.toContain('size');
  });

  it('the one-file bundle runs status and a scan from a directory with no node_modules', async () => {
    const out = join(root, 'bundle-build');
    await buildAgent(join(out, 'driftwatch-agent.mjs'));
    const bare = mkdtempSync(join(tmpdir(), 'dw-bare-'));
    const bin = join(bare, 'driftwatch-agent.mjs');
    copyFileSync(join(out, 'driftwatch-agent.mjs'), bin);
    try {
      const W = join(root, 'bundled');
      mkdirSync(W, { recursive: true });
      writeFileSync(join(W, 'a.txt'), 'a\n');
      const server = await setUp(stack.api, stack.credentials.adminKey, stack.credentials.enrollmentKey, stack.apiUrl, 'bundled', { targets: [{ path: W }] }, bin);
      const status = await runAgent(['status'], { stateDir: server.stateDir, bin });
      expect(status.code, status.stderr).toBe(0);
      expect(status.json).toMatchObject({ serverId: server.serverId });
      const scan = await runAgent(['scan'], { stateDir: server.stateDir, bin });
      expect(scan.code, scan.stderr).toBe(0);
      expect(scan.json).toMatchObject({ filesScanned: 2 });
      writeFileSync(join(W, 'b.txt'), 'b\n');
      const again = await runAgent(['scan'], { stateDir: server.stateDir, bin });
      expect(again.json).toMatchObject({ added: 1 });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe('across an API outage (npm start, stopped and started again)', () => {
  it('results wait in the spool and are delivered once when the API is back', async () => {
    const dataDir = join(root, 'outage-data');
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    let started = await startNpm(dataDir, port);
    const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
    const api = apiClient(started.apiUrl);
    const W = join(root, 'outage');
    mkdirSync(W, { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(join(W, `f${i}.conf`), `v${i}\n`);
    const server = await setUp(api, credentials.adminKey, credentials.enrollmentKey, started.apiUrl, 'outage', { targets: [{ path: W }] });
    expect((await runAgent(['scan'], { stateDir: server.stateDir })).code).toBe(0);

    expect(await terminate(started.child)).toBe(0);
    writeFileSync(join(W, 'f0.conf'), 'changed\n');
    writeFileSync(join(W, 'new.conf'), 'new\n');
    const offline = await runAgent(['scan'], { stateDir: server.stateDir, env: { DRIFTWATCH_RETRY_BUDGET_MS: '2000' } });
    expect(offline.code, offline.stderr).toBe(3);
    const status = await runAgent(['status'], { stateDir: server.stateDir });
    expect(status.json.spooled).toBe(1);

    started = await startNpm(dataDir, port);
    const run = await runAgent(['run', '--once'], { stateDir: server.stateDir });
    expect(run.code, run.stderr).toBe(0);
    await api('POST', '/_local/drain');
    expect((await runAgent(['status'], { stateDir: server.stateDir })).json.spooled).toBe(0);
    const list = async () => (await api('GET', `/v1/events?serverId=${server.serverId}`, { key: credentials.adminKey })).json.items as any[];
    const delivered = await list();
    expect(delivered.map((e) => `${e.changeType} ${e.path}`).sort()).toEqual([`added ${join(W, 'new.conf')}`, `modified ${join(W, 'f0.conf')}`]);
    // A second run sends nothing again.
    expect((await runAgent(['run', '--once'], { stateDir: server.stateDir })).code).toBe(0);
    await api('POST', '/_local/drain');
    expect((await list()).length).toBe(2);
    expect(await terminate(started.child)).toBe(0);
  });
});
