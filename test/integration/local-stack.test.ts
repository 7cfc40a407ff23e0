import { createServer } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startMailSink } from '../../functions/local/mail-sink.ts';
import { apiClient } from '../helpers/stack.ts';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { scanDispatchQueue } from '../../functions/queues/queues.ts';
import { crash, killAllStarted, NpmExitedError, startNpm, terminate, type Started } from '../helpers/npm-start.ts';
import { runAgent } from '../helpers/agent.ts';

/**
 * `npm start` as a user runs it: a child process on PORT=0 with its own data dir. It prints where the
 * credentials are and the listening line, serves the API and the /_local routes, stops cleanly on
 * SIGTERM, and a second start on the same dir finds the same tenant and keys.
 */

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'driftwatch-npm-start-'));
});

afterAll(async () => {
  killAllStarted();
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  let first: { tenantId: string; adminKey: string; operatorKey: string; enrollmentKey: string };

  it('starts, writes credentials.json (0600), serves the API and the local routes, and stops on SIGTERM', async () => {
    const started = await startNpm(dataDir);
    console.info(`npm start ready in ${started.startupMs} ms (fresh data dir)`);
    expect(started.startupMs).toBeLessThan(30_000);

    const file = join(dataDir, 'credentials.json');
    expect(started.stdout()).toContain(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(await readFile(file, 'utf8'));
    for (const field of ['apiUrl', 'operatorKey', 'tenantId', 'adminKey', 'enrollmentKey']) {
      expect(credentials[field], field).toEqual(expect.any(String));
      expect(credentials[field].length, field).toBeGreaterThan(0);
    }
    expect(credentials.apiUrl).toBe(started.apiUrl);
    first = credentials;

    const api = apiClient(started.apiUrl);
    const keys = await api('GET', '/v1/api-keys', { key: credentials.adminKey });
    expect(keys.status, keys.text).toBe(200);
    expect(keys.text).not.toContain(credentials.adminKey);

    const drained = await api('POST', '/_local/drain');
    expect(drained.status).toBe(200);
    expect(drained.json).toEqual({ drained: true });

    const tick = await api('POST', '/_local/tick', { body: { time: '2030-01-06T00:00:00Z' } });
    expect(tick.status, tick.text).toBe(200);
    expect(tick.json).toEqual({ drained: true });

    const badTick = await api('POST', '/_local/tick', { body: { time: 'next tuesday' } });
    expect(badTick.status).toBe(400);
    expect(badTick.headers.get('content-type')).toContain('application/problem+json');
    expect(badTick.json).toMatchObject({ type: 'https://driftwatch.dev/problems/validation', status: 400, errors: [{ path: 'time', message: expect.stringContaining('ISO-8601') }] });
    const unknownField = await api('POST', '/_local/tick', { body: { time: '2030-01-06T00:00:00Z', at: 'noon' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json.errors).toEqual([{ path: 'at', message: 'unknown field' }]);
    const notJson = await api('POST', '/_local/tick', { raw: '{"time": ', headers: { 'content-type': 'application/json' } });
    expect([notJson.status, notJson.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
    const emptyTick = await api('POST', '/_local/tick');
    expect([emptyTick.status, emptyTick.json]).toEqual([200, { drained: true }]);
    const wrongMethod = await api('GET', '/_local/drain');
    expect([wrongMethod.status, wrongMethod.headers.get('allow'), wrongMethod.json?.status]).toEqual([405, 'POST', 405]);
    const unknownRoute = await api('POST', '/_local/nope');
    expect([unknownRoute.status, unknownRoute.headers.get('content-type')]).toEqual([404, 'application/problem+json']);

    const mail = await api('GET', '/_local/mail');
    expect(mail.status).toBe(200);
    expect(mail.json).toEqual([]);

    expect(await terminate(started.child)).toBe(0);
    expect(started.stdout()).toContain(`driftwatch stopped; its data (table, queued messages, mail, credentials) is kept in ${dataDir}`);
  });

  it('keeps the tenant and keys across a restart on the same data dir', async () => {
    expect(first, 'the first start must have passed').toBeDefined();
    const started = await startNpm(dataDir);
    console.info(`npm start ready in ${started.startupMs} ms (existing data dir)`);
    const credentials = JSON.parse(await readFile(join(dataDir, 'credentials.json'), 'utf8'));
    expect(credentials).toMatchObject({
      tenantId: first.tenantId,
      adminKey: first.adminKey,
      operatorKey: first.operatorKey,
      enrollmentKey: first.enrollmentKey,
      apiUrl: started.apiUrl,
    });

    const api = apiClient(started.apiUrl);
    const keys = await api('GET', '/v1/api-keys', { key: first.adminKey });
    expect(keys.status, keys.text).toBe(200);

    const tenant = await api('POST', '/v1/tenants', { key: first.operatorKey, body: { name: 'Second' } });
    expect(tenant.status, tenant.text).toBe(201);

    expect(await terminate(started.child)).toBe(0);
  });
});

/** An endpoint of the local services, from the line npm start prints about them. */
function endpointOf(started: Started, service: 'DynamoDB' | 'SQS' | 'SMTP'): string {
  const endpoint = new RegExp(`local services: .*${service} ((http|smtp)://127\\.0\\.0\\.1:\\d+)`).exec(started.stdout())?.[1];
  expect(endpoint, started.stdout()).toBeDefined();
  return endpoint!;
}

function sqsClientOf(started: Started): SQSClient {
  const endpoint = endpointOf(started, 'SQS');
  return new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Message ids the dispatch worker was handed, from the debug line of each of its batches. */
function dispatchDeliveries(stdout: string): string[] {
  const line = new RegExp(`debug: ${scanDispatchQueue.name}: \\d+ message\\(s\\), \\d+ failed, \\d+ ms \\(messages=([^)]+)\\)`, 'g');
  return [...stdout.matchAll(line)].flatMap((m) => m[1]!.split(','));
}

/** A fresh directory for one test, removed afterwards whatever happens. */
async function inTempDir(prefix: string, test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await test(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** npm start on `dataDir`, with the credentials it wrote and an API client. */
async function startWithCredentials(dataDir: string, env: Record<string, string> = {}) {
  const started = await startNpm(dataDir, 0, env);
  const credentials = JSON.parse(await readFile(join(dataDir, 'credentials.json'), 'utf8'));
  return { started, credentials, api: apiClient(started.apiUrl) };
}

describe('queued messages across kill -9', () => {
  it('delivers every acknowledged message after a SIGKILL and a restart, and none that its worker had finished', async () => {
    await inTempDir('driftwatch-kill-', async (dir) => {
      // Prepare: a group with one enrolled server, so each dispatch message (one per slot) makes one scan.
      const { started: first, credentials, api } = await startWithCredentials(dir, { DRIFTWATCH_LOG: 'debug' });
      const group = await api('POST', '/v1/server-groups', { key: credentials.adminKey, body: { name: 'kill', tag: 'kill' } });
      expect(group.status, group.text).toBe(201);
      const enrolled = await api('POST', '/v1/agent/enroll', {
        key: credentials.enrollmentKey,
        body: { hostname: 'kill-1', platform: 'linux', agentVersion: '1.0.0', tag: 'kill' },
      });
      expect(enrolled.status, enrolled.text).toBe(201);
      const message = (slot: string) => JSON.stringify({ tenantId: credentials.tenantId, groupId: group.json.id, slot, kind: 'on-demand' });

      let sqs = sqsClientOf(first);
      let url = (await sqs.send(new GetQueueUrlCommand({ QueueName: scanDispatchQueue.name }))).QueueUrl!;
      const done = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: message('2031-01-01T00:00:00.000Z') }));
      expect((await api('POST', '/_local/drain')).json).toEqual({ drained: true });
      expect(dispatchDeliveries(first.stdout())).toEqual([done.MessageId]);

      // Act: three messages acknowledged but not yet deliverable (a 4 s delay), then SIGKILL at once.
      const slots = ['2031-01-02T00:00:00.000Z', '2031-01-03T00:00:00.000Z', '2031-01-04T00:00:00.000Z'];
      const sent = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: slots.map((slot, i) => ({ Id: String(i), MessageBody: message(slot), DelaySeconds: 4 })) }),
      );
      expect(sent.Successful).toHaveLength(3);
      sqs.destroy();
      await crash(first.child);

      const { started: second, api: again } = await startWithCredentials(dir, { DRIFTWATCH_LOG: 'debug' });
      expect((await again('POST', '/_local/drain')).json).toEqual({ drained: true });

      // Assess: each acknowledged message reached the worker once after the restart, the finished one never.
      expect(dispatchDeliveries(second.stdout()).sort()).toEqual(sent.Successful!.map((s) => s.MessageId).sort());
      const scans = await again('GET', `/v1/scans?serverId=${enrolled.json.serverId}&limit=50`, { key: credentials.adminKey });
      expect(scans.status, scans.text).toBe(200);
      expect(scans.json.items.map((s: { requestedAt: string }) => s.requestedAt).sort()).toEqual(['2031-01-01T00:00:00.000Z', ...slots]);
      sqs = sqsClientOf(second);
      url = (await sqs.send(new GetQueueUrlCommand({ QueueName: scanDispatchQueue.name }))).QueueUrl!;
      const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
      expect(left.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' });
      sqs.destroy();
      expect(await terminate(second.child)).toBe(0);
    });
  });
});

describe('what npm start tells its user', () => {
  it('prints a line per scan ingested and per mail sent, and no request log at the default level', async () => {
    await inTempDir('driftwatch-talk-', async (dir) => {
      const { started, credentials, api } = await startWithCredentials(join(dir, 'data'));
      const watched = join(dir, 'watched');
      await mkdir(watched);
      await writeFile(join(watched, 'app.conf'), 'port=80\n');
      const policy = await api('POST', '/v1/policies', { key: credentials.adminKey, body: { name: 'talk', platform: 'linux', targets: [{ path: watched }] } });
      expect(policy.status, policy.text).toBe(201);
      const group = await api('POST', '/v1/server-groups', { key: credentials.adminKey, body: { name: 'talk', tag: 'talk', policyIds: [policy.json.id] } });
      expect(group.status, group.text).toBe(201);
      const stateDir = join(dir, 'agent');
      const agent = (...args: string[]) => runAgent(args, { stateDir });
      expect((await agent('enroll', '--api', started.apiUrl, '--key', credentials.enrollmentKey, '--tag', 'talk')).code).toBe(0);
      const baseline = await agent('scan');
      expect(baseline.code, baseline.stderr).toBe(0);
      await writeFile(join(watched, 'app.conf'), 'port=8080\n');
      const rescan = await agent('scan');
      expect(rescan.code, rescan.stderr).toBe(0);
      expect((await api('POST', '/_local/drain')).json).toEqual({ drained: true });

      const transport = nodemailer.createTransport(endpointOf(started, 'SMTP'));
      await transport.sendMail({ from: 'alerts@driftwatch.local', to: 'ops@example.com', subject: 'Drift on web-1', text: 'one change' });
      transport.close();

      const out = started.stdout();
      const ingested = [...out.matchAll(/^\d\d:\d\d:\d\d scan (\S+) ingested(.*)$/gm)];
      expect(ingested.map((m) => m[1])).toEqual([baseline.json.scanId, rescan.json.scanId]);
      expect(ingested[1]![2]).toContain('1 change(s) (0 added, 1 modified, 0 removed, 0 renamed)');
      expect(out).toMatch(/^\d\d:\d\d:\d\d mail sent to ops@example\.com: "Drift on web-1"$/m);
      expect(out).not.toMatch(/(GET|POST) \/v1\//);
      expect(await terminate(started.child)).toBe(0);
    });
  });

  it('logs one line per HTTP request at DRIFTWATCH_LOG=debug, without keys', async () => {
    await inTempDir('driftwatch-debug-', async (dir) => {
      const { started, credentials, api } = await startWithCredentials(dir, { DRIFTWATCH_LOG: 'debug' });
      expect((await api('GET', '/v1/api-keys?limit=5', { key: credentials.adminKey })).status).toBe(200);
      expect((await api('GET', '/v1/api-keys')).status).toBe(401);
      expect(await terminate(started.child)).toBe(0);
      const out = started.stdout();
      expect(out).toMatch(/^\d\d:\d\d:\d\d debug: GET \/v1\/api-keys\?limit=5 200 \d+ ms$/m);
      expect(out).toMatch(/^\d\d:\d\d:\d\d debug: GET \/v1\/api-keys 401 \d+ ms$/m);
      expect(out).not.toContain(credentials.adminKey);
    });
  });

  it('says which port is taken and which variable to set, and exits non-zero', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      await inTempDir('driftwatch-busy-', async (dir) => {
        const failed = await startNpm(dir, port).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failed).toBeInstanceOf(NpmExitedError);
        const exited = failed as NpmExitedError;
        expect(exited.code).not.toBe(0);
        expect(exited.stderr.trim()).toBe(`port ${port} is in use: set PORT`);
        // Nothing was left behind: the data dir is free for the next start.
        const next = await startNpm(dir);
        expect(await terminate(next.child)).toBe(0);
      });
    } finally {
      blocker.close();
    }
  });
});

describe('mail sink', () => {
  it('keeps every mail, oldest first, across a restart', async () => {
    const file = join(dataDir, 'mail-sink-test.jsonl');
    const sink = await startMailSink({ file });
    const transport = nodemailer.createTransport(`smtp://127.0.0.1:${sink.port}`);
    await transport.sendMail({ from: 'alerts@driftwatch.local', to: ['ops@example.com', 'sec@example.com'], subject: 'first', text: 'one' });
    await transport.sendMail({ from: 'alerts@driftwatch.local', to: 'ops@example.com', subject: 'second', text: 'two' });
    transport.close();

    expect(sink.mails()).toEqual([
      { to: ['ops@example.com', 'sec@example.com'], from: 'alerts@driftwatch.local', subject: 'first', text: 'one\n', date: expect.any(String) },
      { to: ['ops@example.com'], from: 'alerts@driftwatch.local', subject: 'second', text: 'two\n', date: expect.any(String) },
    ]);
    expect(Number.isNaN(Date.parse(sink.mails()[0].date))).toBe(false);
    await sink.stop();

    const again = await startMailSink({ file });
    expect(again.mails().map((m) => m.subject)).toEqual(['first', 'second']);
    await again.stop();
  });
});
