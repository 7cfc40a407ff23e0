import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { runAgent, startAgent } from '../helpers/agent.ts';

/**
 * Issue 15 with the real agent CLI: a scheduled scan is run at the agent's next poll, and a group with
 * `scanOnAgentStart` gets an `agent-start` scan each time an agent starts `run` (Halo's "scan on daemon start").
 */
let stack: TestStack;
let admin: string;
const root = mkdtempSync(join(tmpdir(), 'dw-sched-e2e-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function setUp(name: string, group: Record<string, unknown>) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.conf'), 'a=1\n');
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name, platform: 'linux', targets: [{ path: dir }] } });
  expect(policy.status).toBe(201);
  const created = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name, tag: name, policyIds: [policy.json.id], ...group } });
  expect(created.status, created.text).toBe(201);
  const stateDir = join(root, `state-${name}`);
  const enrolled = await runAgent(['enroll', '--api', stack.apiUrl, '--key', stack.credentials.enrollmentKey, '--tag', name], { stateDir });
  expect(enrolled.code, enrolled.stderr).toBe(0);
  return { serverId: enrolled.json.serverId as string, stateDir, dir };
}

const scansOf = async (serverId: string) => (await stack.api('GET', `/v1/scans?serverId=${serverId}&limit=500`, { key: admin })).json.items as Array<{ id: string; kind: string; status: string; requestedAt: string }>;

/** Runs `run` (the daemon) until `done` holds for the server's scans, then stops it with SIGTERM. */
async function runDaemonUntil(stateDir: string, serverId: string, done: (scans: Awaited<ReturnType<typeof scansOf>>) => boolean) {
  const agent = startAgent(['run'], { stateDir });
  try {
    for (let i = 0; i < 150; i++) {
      await stack.drain();
      if (done(await scansOf(serverId))) return;
      await sleep(100);
    }
    throw new Error(`the agent did not get there; its log: ${agent.stderr()}`);
  } finally {
    agent.child.kill('SIGTERM');
    await agent.done;
  }
}

describe('scan on agent start', () => {
  it('each start of `run` gets one agent-start scan, which the agent runs', async () => {
    const server = await setUp('onstart', { scanOnAgentStart: true });
    await runDaemonUntil(server.stateDir, server.serverId, (scans) => scans.some((s) => s.kind === 'agent-start' && s.status === 'completed'));
    expect((await scansOf(server.serverId)).filter((s) => s.kind === 'agent-start')).toHaveLength(1);

    await runDaemonUntil(server.stateDir, server.serverId, (scans) => scans.filter((s) => s.kind === 'agent-start' && s.status === 'completed').length === 2);
    expect((await scansOf(server.serverId)).filter((s) => s.kind === 'agent-start')).toHaveLength(2);

    // `scan` is not a start of the daemon.
    expect((await runAgent(['scan'], { stateDir: server.stateDir })).code).toBe(0);
    expect((await scansOf(server.serverId)).filter((s) => s.kind === 'agent-start')).toHaveLength(2);
  });

  it('a group without it gets none', async () => {
    const server = await setUp('nostart', { scanOnAgentStart: false });
    const run = await runAgent(['run', '--once'], { stateDir: server.stateDir });
    expect(run.code, run.stderr).toBe(0);
    await stack.drain();
    expect(await scansOf(server.serverId)).toEqual([]);
  });
});

describe('scheduled scans', () => {
  it('the agent runs the scheduled scan of its group at its next poll', async () => {
    const server = await setUp('hourly', { scanSchedule: { frequency: 'hourly', time: '00:30' } });
    const slot = new Date(Date.now() + 2 * 3_600_000);
    slot.setUTCMinutes(30, 0, 0);
    await stack.tick(slot);
    const [pending] = await scansOf(server.serverId);
    expect(pending).toMatchObject({ kind: 'scheduled', status: 'pending', requestedAt: slot.toISOString() });
    const run = await runAgent(['run', '--once'], { stateDir: server.stateDir });
    expect(run.code, run.stderr).toBe(0);
    await stack.drain();
    expect((await scansOf(server.serverId)).map((s) => [s.id, s.status])).toEqual([[pending!.id, 'completed']]);
  });
});
