import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { runAgent, startAgent } from '../helpers/agent.ts';
import { scanDigestId } from '../../functions/domain/alert-digest-ids.ts';
import { getDb } from '../../functions/shared/clients.ts';
import { keys } from '../../functions/store/keys.ts';
import type { Mail } from '../../functions/local/stack.ts';

/**
 * Issue 13 acceptance: alert profiles on the real local stack, with the real agent CLI on real files and
 * mail through real SMTP into the stack's sink.
 */
let stack: TestStack;
const root = mkdtempSync(join(tmpdir(), 'dw-alerts-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Tests that run the agent several times: room for a busy 2-core machine (no timing is asserted). */
const SLOW = 150_000;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Tenant {
  id: string;
  admin: string;
  enrollmentKey: string;
}

/** A tenant of its own, so settings (the hourly limit) and mail of one scenario do not touch another's. */
async function newTenant(name: string): Promise<Tenant> {
  const created = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name } });
  expect(created.status).toBe(201);
  return { id: created.json.tenant.id, admin: created.json.adminKey, enrollmentKey: created.json.enrollmentKey };
}

async function profile(t: Tenant, body: Record<string, unknown>): Promise<string> {
  const res = await stack.api('POST', '/v1/alert-profiles', { key: t.admin, body });
  expect(res.status, res.text).toBe(201);
  return res.json.id;
}

/** A directory tree with normal, critical and non-alerting targets, watched by an enrolled agent. */
async function server(t: Tenant, name: string, opts: { hostname: string; alertProfileIds: string[]; state?: string }) {
  const dir = join(root, name);
  for (const sub of ['etc', 'bin', 'cache']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'etc/a.conf'), 'a=1\n');
  writeFileSync(join(dir, 'etc/b.conf'), 'b=1\n');
  writeFileSync(join(dir, 'bin/tool'), 'tool v1\n');
  writeFileSync(join(dir, 'cache/x'), 'x\n');
  const targets = [
    { path: join(dir, 'etc') },
    { path: join(dir, 'bin'), critical: true },
    { path: join(dir, 'cache'), critical: true, alert: false },
  ];
  const policy = await stack.api('POST', '/v1/policies', { key: t.admin, body: { name, platform: 'linux', state: opts.state ?? 'on', targets } });
  expect(policy.status, policy.text).toBe(201);
  const group = await stack.api('POST', '/v1/server-groups', { key: t.admin, body: { name, tag: name, policyIds: [policy.json.id], alertProfileIds: opts.alertProfileIds } });
  expect(group.status, group.text).toBe(201);
  const stateDir = join(root, `state-${name}`);
  const enrolled = await runAgent(['enroll', '--api', stack.apiUrl, '--key', t.enrollmentKey, '--tag', name, '--hostname', opts.hostname], { stateDir });
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const self = { dir, stateDir, serverId: enrolled.json.serverId as string, groupId: group.json.id as string };
  await scan(self); // the baseline: no events, no mail
  return self;
}

/** A scan by the agent, then every queue drained (ingest, then alerts). */
async function scan(s: { stateDir: string }) {
  const run = await runAgent(['scan'], { stateDir: s.stateDir });
  expect(run.code, run.stderr).toBe(0);
  await stack.drain();
  return run.json as { scanId: string; added: number; modified: number; removed: number };
}

/** Mail received since `before` (an earlier snapshot's length), to one recipient. */
async function mailSince(before: number, to?: string): Promise<Mail[]> {
  return (await stack.mail()).slice(before).filter((m) => !to || m.to.includes(to));
}

describe('a scan with critical and normal changes', () => {
  let t: Tenant;
  let web: Awaited<ReturnType<typeof server>>;
  let first: { scanId: string };
  let before: number;

  beforeAll(async () => {
    t = await newTenant('Digest Corp');
    const critical = await profile(t, { name: 'Security on call', recipients: ['sec@example.com'], severities: ['critical'] });
    const all = await profile(t, { name: 'Ops', recipients: ['ops@example.com', 'dev@example.com'], severities: ['critical', 'normal'] });
    web = await server(t, 'web', { hostname: 'web-1', alertProfileIds: [critical, all] });
    before = (await stack.mail()).length;
    writeFileSync(join(web.dir, 'bin/tool'), 'tool v2 (trojaned)\n');
    writeFileSync(join(web.dir, 'etc/a.conf'), 'a=2\n');
    writeFileSync(join(web.dir, 'etc/new.conf'), 'new=1\n');
    writeFileSync(join(web.dir, 'cache/x'), 'changed, but this target does not alert\n');
    first = await scan(web);
  });

  it('mails each recipient of a critical-only profile once, listing only the critical paths', async () => {
    const mails = await mailSince(before, 'sec@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['sec@example.com']);
    expect(mails[0]!.subject).toBe('[critical] web-1: 1 change (1 modified)');
    expect(mails[0]!.text).toContain(join(web.dir, 'bin/tool'));
    expect(mails[0]!.text).not.toContain('a.conf');
    expect(mails[0]!.text).not.toContain('new.conf');
  });

  it('mails each recipient of an all-severities profile once, listing every alerting path, critical first', async () => {
    for (const to of ['ops@example.com', 'dev@example.com']) {
      const mails = await mailSince(before, to);
      expect(mails, to).toHaveLength(1);
      expect(mails[0]!.to).toEqual([to]);
      expect(mails[0]!.subject).toBe('[critical] web-1: 3 changes (1 added, 2 modified)');
      const text = mails[0]!.text;
      const tool = text.indexOf(join(web.dir, 'bin/tool'));
      expect(tool).toBeGreaterThan(-1);
      expect(text.indexOf(join(web.dir, 'etc/a.conf'))).toBeGreaterThan(tool);
      expect(text).toContain(join(web.dir, 'etc/new.conf'));
      expect(text).toMatch(/changed: .*content/);
      expect(text).toMatch(/sha256 [0-9a-f]{12} -> [0-9a-f]{12}/);
      // A target with alert: false never mails, even when it changed in the same scan.
      expect(text).not.toContain(join(web.dir, 'cache'));
      // The link goes to this server's events, on the configured base URL (the local stack's own).
      const link = /All changes: (\S+)/.exec(text)![1]!;
      expect(link.startsWith(`${stack.apiUrl}/v1/events?serverId=${web.serverId}`)).toBe(true);
      const events = await stack.api('GET', link.slice(stack.apiUrl.length), { key: t.admin });
      expect(events.status).toBe(200);
      expect(events.json.items.map((e: { path: string }) => e.path).sort()).toEqual(
        [join(web.dir, 'bin/tool'), join(web.dir, 'cache/x'), join(web.dir, 'etc/a.conf'), join(web.dir, 'etc/new.conf')].sort(),
      );
    }
    expect(await mailSince(before)).toHaveLength(3);
  });

  it('the same ingest and alert messages delivered again send nothing more', async () => {
    const count = (await stack.mail()).length;
    const events = await stack.api('GET', `/v1/events?serverId=${web.serverId}`, { key: t.admin });
    const digestId = scanDigestId(first.scanId, events.json.items[0].detectedAt);
    const send = (queue: string, body: object) => stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrls[queue], MessageBody: JSON.stringify(body) }));
    for (let i = 0; i < 2; i++) {
      await send('scan-ingest', { tenantId: t.id, scanId: first.scanId });
      await send('alerts', { tenantId: t.id, digestId });
    }
    await stack.drain();
    expect((await stack.mail()).length).toBe(count);
  });

  it('a second scan sends a second digest; an unchanged scan and a non-alerting change send nothing', async () => {
    const count = (await stack.mail()).length;
    writeFileSync(join(web.dir, 'etc/b.conf'), 'b=2\n');
    await scan(web);
    const second = await mailSince(count);
    expect(second.map((m) => m.to[0]).sort()).toEqual(['dev@example.com', 'ops@example.com']);
    expect(second[0]!.subject).toBe('[normal] web-1: 1 change (1 modified)');
    expect(second[0]!.text).toContain(join(web.dir, 'etc/b.conf'));

    const unchanged = await scan(web);
    expect(unchanged).toMatchObject({ added: 0, modified: 0, removed: 0 });
    writeFileSync(join(web.dir, 'cache/x'), 'changed again\n');
    const quiet = await scan(web);
    expect(quiet.modified).toBe(1);
    expect((await stack.mail()).length).toBe(count + 2);
  }, SLOW);
});


describe('headers', () => {
  it('a hostname carrying CR/LF and a Bcc header adds no header and no recipient', async () => {
    const t = await newTenant('Header Corp');
    const ops = await profile(t, { name: 'Ops', recipients: ['ops@header.example'], severities: ['critical', 'normal'] });
    // Enrollment refuses control characters in a hostname (docs/security.md, "Hostile names from agents"), so the
    // hostname is planted in the stored server, as one enrolled before that check would carry it: the mail must
    // stay safe whatever a stored hostname holds.
    const refused = await stack.api('POST', '/v1/agent/enroll', { key: t.enrollmentKey, body: { hostname: 'web-2\r\nBcc: x@evil.example', platform: 'linux', agentVersion: '1' } });
    expect(refused.status).toBe(400);
    const evil = await server(t, 'evil', { hostname: 'web-2', alertProfileIds: [ops] });
    await getDb().doc.send(
      new UpdateCommand({ TableName: getDb().table, Key: keys.server(t.id, evil.serverId), UpdateExpression: 'SET hostname = :h', ExpressionAttributeValues: { ':h': 'web-2\r\nBcc: x@evil.example' } }),
    );
    const before = (await stack.mail()).length;
    writeFileSync(join(evil.dir, 'etc/a.conf'), 'a=2\n');
    await scan(evil);
    const mails = await mailSince(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['ops@header.example']);
    // Had the CR/LF reached the header block, the subject would end at "web-2" and Bcc would be a header.
    expect(mails[0]!.subject).toBe('[normal] web-2 Bcc: x@evil.example: 1 change (1 modified)');
    expect((await stack.mail()).some((m) => m.to.some((to) => to.includes('evil')))).toBe(false);
  }, SLOW);
});

describe('flood control', () => {
  it('over the hourly limit the rest is held back, and the held-back count comes in the next mail', async () => {
    const t = await newTenant('Flood Corp');
    const limited = await stack.api('PATCH', '/v1/settings', { key: t.admin, body: { alertMailsPerProfilePerHour: 1 } });
    expect(limited.json.alertMailsPerProfilePerHour).toBe(1);
    const ops = await profile(t, { name: 'Ops', recipients: ['ops@flood.example'], severities: ['critical', 'normal'] });
    const box = await server(t, 'flood', { hostname: 'db-1', alertProfileIds: [ops] });
    // The limit is per clock hour: keep this scenario's three scans inside one.
    const leftInHour = 3_600_000 - (Date.now() % 3_600_000);
    if (leftInHour < 45_000) await sleep(leftInHour + 1000);
    const before = (await stack.mail()).length;

    writeFileSync(join(box.dir, 'etc/a.conf'), 'a=2\n');
    await scan(box);
    writeFileSync(join(box.dir, 'etc/a.conf'), 'a=3\n');
    writeFileSync(join(box.dir, 'etc/b.conf'), 'b=2\n');
    await scan(box);
    writeFileSync(join(box.dir, 'bin/tool'), 'tool v2\n');
    await scan(box);
    const inHour = await mailSince(before);
    expect(inHour).toHaveLength(1);
    expect(inHour[0]!.subject).toBe('[normal] db-1: 1 change (1 modified)');

    // At the end of the hour the schedule tick sends what was held back: nothing is dropped silently.
    const nextHour = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 5_000);
    await stack.tick(nextHour);
    const next = await mailSince(before + 1);
    expect(next).toHaveLength(1);
    expect(next[0]!.to).toEqual(['ops@flood.example']);
    expect(next[0]!.subject).toMatch(/^\[critical\] 3 more changes on 1 server since \d\d:\d\d UTC$/);
    expect(next[0]!.text).toContain('sends at most 1 mail an hour');
    await stack.tick(new Date(nextHour.getTime() + 60_000));
    expect(await mailSince(before + 2)).toEqual([]);
  }, SLOW);
});

describe('real-time changes', () => {
  it('are gathered for a window into one digest per server, sent by the schedule tick once it ends', async () => {
    const t = await newTenant('Realtime Corp');
    const ops = await profile(t, { name: 'Ops', recipients: ['ops@rt.example'], severities: ['critical', 'normal'] });
    const rt = await server(t, 'rt', { hostname: 'rt-1', alertProfileIds: [ops], state: 'real-time' });
    const before = (await stack.mail()).length;
    const agent = startAgent(['run'], { stateDir: rt.stateDir });
    let events: { path: string; scanId: string; detectedAt: string }[] = [];
    try {
      for (let i = 0; i < 300 && !/watching policy/.test(agent.stderr()); i++) await sleep(100);
      expect(agent.stderr()).toMatch(/watching policy/);
      const seen = async () => (await stack.api('GET', `/v1/events?serverId=${rt.serverId}`, { key: t.admin })).json.items as typeof events;
      writeFileSync(join(rt.dir, 'etc/a.conf'), 'a=2\n');
      for (let i = 0; i < 300 && (await seen()).length < 1; i++) await sleep(100);
      writeFileSync(join(rt.dir, 'bin/tool'), 'tool v2\n');
      for (let i = 0; i < 300 && (await seen()).length < 2; i++) await sleep(100);
      events = await seen();
      expect(new Set(events.map((e) => e.scanId)).size).toBe(2);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.done;
    }
    await stack.drain();
    expect(await mailSince(before)).toEqual([]);
    await stack.tick(new Date(Date.now() + 120_000));
    const mails = await mailSince(before);
    // Windows are aligned to the minute: the two writes, seconds apart, share one unless a minute began between them.
    const windows = new Set(events.map((e) => Math.floor(Date.parse(e.detectedAt) / 60_000)));
    if (windows.size === 1) {
      expect(mails).toHaveLength(1);
      expect(mails[0]!.subject).toBe('[critical] rt-1: 2 changes (2 modified)');
    } else {
      expect(mails.map((m) => m.subject).sort()).toEqual(['[critical] rt-1: 1 change (1 modified)', '[normal] rt-1: 1 change (1 modified)']);
    }
    const text = mails.map((m) => m.text).join('\n');
    expect(text).toContain(join(rt.dir, 'etc/a.conf'));
    expect(text).toContain(join(rt.dir, 'bin/tool'));
  }, SLOW);
});
