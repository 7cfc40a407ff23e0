import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSoftware } from '../../agent/software.ts';
import { CPU_SHARE } from '../../agent/scan/throttle.ts';
import { AGENT_BIN, runAgent } from '../helpers/agent.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 16 acceptance with the real agent CLI on this machine's real files: the recommendations its
 * software earns, applied; and a `linux-recommended` policy scanning the real /etc, /bin and /usr/bin.
 */
let stack: TestStack;
let admin: string;
const root = mkdtempSync(join(tmpdir(), 'dw-templates-'));

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function enrolledServer(name: string, policy: Record<string, unknown>) {
  const created = await stack.api('POST', '/v1/policies', { key: admin, body: { name, platform: 'linux', ...policy } });
  expect(created.status, created.text).toBe(201);
  const group = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name, tag: name, policyIds: [created.json.id] } });
  expect(group.status).toBe(201);
  const stateDir = join(root, name);
  const enrolled = await runAgent(['enroll', '--api', stack.apiUrl, '--key', stack.credentials.enrollmentKey, '--tag', name], { stateDir });
  expect(enrolled.code, enrolled.stderr).toBe(0);
  return { policyId: created.json.id as string, serverId: enrolled.json.serverId as string, stateDir };
}

describe('recommendations for this machine', () => {
  it('list the SSH/authentication targets and, where cron runs, the cron targets; applying adds exactly those', async () => {
    const server = await enrolledServer('recommend-me', {});
    const run = await runAgent(['run', '--once'], { stateDir: server.stateDir });
    expect(run.code, run.stderr).toBe(0);

    const recs = await stack.api('GET', `/v1/servers/${server.serverId}/recommendations`, { key: admin });
    expect(recs.status).toBe(200);
    const here = detectSoftware();
    expect(recs.json.software).toEqual([...here].sort());
    const byTemplate = Object.fromEntries(recs.json.templates.map((t: any) => [t.id, t.targets.map((x: any) => x.path)]));
    expect(byTemplate['linux-ssh-and-auth']).toEqual(expect.arrayContaining(['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/pam.d']));
    if (here.includes('sshd')) expect(byTemplate['linux-ssh-and-auth']).toEqual(expect.arrayContaining(['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d']));
    else expect(byTemplate['linux-ssh-and-auth']).not.toContain('/etc/ssh/sshd_config');
    if (here.includes('cron')) expect(byTemplate['linux-persistence']).toEqual(expect.arrayContaining(['/var/spool/cron', '/etc/cron.d', '/etc/anacrontab']));
    else expect(byTemplate['linux-persistence'] ?? []).not.toContain('/var/spool/cron');
    expect(byTemplate['linux-recommended']).toEqual(expect.arrayContaining(['/etc/crontab', '/usr/bin']));

    const listed = recs.json.templates.flatMap((t: any) => t.targets.map((x: any) => x.path));
    const applied = await stack.api('POST', `/v1/servers/${server.serverId}/recommendations/apply`, { key: admin, body: { policyId: server.policyId } });
    expect(applied.status, applied.text).toBe(200);
    expect(applied.json.added.map((t: any) => t.path)).toEqual(listed);
    expect((await stack.api('GET', `/v1/policies/${server.policyId}`, { key: admin })).json.targets.map((t: any) => t.path)).toEqual(listed);
    expect((await stack.api('GET', `/v1/servers/${server.serverId}/recommendations`, { key: admin })).json.templates).toEqual([]);
  });
});

/** Runs the agent under bash so that `times` reports the CPU the agent process used (user + system). */
function runMeasured(args: string[], stateDir: string): Promise<{ code: number | null; stdout: string; stderr: string; cpuSeconds: number; wallSeconds: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', '"$0" "$@"; code=$?; times >&2; exit $code', process.execPath, AGENT_BIN, ...args, '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const wallSeconds = (performance.now() - started) / 1000;
      // `times`: the shell's own user/system line, then its children's ("0m1.234s 0m0.321s").
      const childLine = stderr.trim().split('\n').at(-1) ?? '';
      const cpuSeconds = [...childLine.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
      resolve({ code, stdout, stderr, cpuSeconds, wallSeconds });
    });
  });
}

describe('linux-recommended on this machine', () => {
  it('a policy from the template scans the real /etc, /bin and /usr/bin with the real agent: no errors, within its CPU level', async () => {
    const cpuUsage = 'low';
    const server = await enrolledServer('recommended-here', { fromTemplate: 'linux-recommended', cpuUsage });
    const run = await runMeasured(['scan'], server.stateDir);
    expect(run.code, run.stderr).toBe(0);
    // No entry the walk could not read, no warning of any kind.
    expect(run.stderr).not.toMatch(/driftwatch-agent (warn|error):/);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(summary.filesScanned).toBeGreaterThan(1000);
    expect(summary.skipped ?? 0).toBe(0);
    expect(summary.unreadable ?? 0).toBe(0);
    expect(summary.added + summary.modified + summary.removed).toBe(0); // the baseline yields no events

    const scans = (await stack.api('GET', `/v1/scans?serverId=${server.serverId}`, { key: admin })).json.items;
    expect(scans).toEqual([expect.objectContaining({ status: 'completed', stats: expect.objectContaining({ filesScanned: summary.filesScanned }) })]);
    await stack.drain();
    const events = (await stack.api('GET', `/v1/events?serverId=${server.serverId}&limit=1`, { key: admin })).json.items;
    expect(events).toEqual([]);

    // The walk keeps to the policy's CPU share (20%); process start, tree building and upload are not
    // throttled, so the whole process is allowed a margin, still far below an unthrottled scan (~100%).
    const share = run.cpuSeconds / run.wallSeconds;
    console.log(`linux-recommended on this host: ${summary.filesScanned} entries, CPU ${run.cpuSeconds.toFixed(2)} s over ${run.wallSeconds.toFixed(2)} s wall = ${(share * 100).toFixed(0)}% (level ${cpuUsage}: ${CPU_SHARE[cpuUsage] * 100}%)`);
    expect(run.cpuSeconds).toBeGreaterThan(0);
    expect(share).toBeLessThan(CPU_SHARE[cpuUsage] + 0.25);
  }, 240_000);
});
