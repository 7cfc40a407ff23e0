import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startMailSink } from '../../functions/local/mail-sink.ts';
import { apiClient } from '../helpers/stack.ts';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { scanDispatchQueue } from '../../functions/queues/queues.ts';
import { crash, killAllStarted, startNpm, terminate, type Started } from '../helpers/npm-start.ts';

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

    const mail = await api('GET', '/_local/mail');
    expect(mail.status).toBe(200);
    expect(mail.json).toEqual([]);

    expect(await terminate(started.child)).toBe(0);
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

/** The endpoint of the local queue server, from the stack's debug line (the queues are not in credentials.json). */
function sqsClientOf(started: Started): SQSClient {
  const endpoint = /local stack ready: .*sqs (http:\/\/127\.0\.0\.1:\d+)/.exec(started.stdout())?.[1];
  expect(endpoint, started.stdout()).toBeDefined();
  return new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Message ids the dispatch worker was handed, from the debug line of each of its batches. */
function dispatchDeliveries(stdout: string): string[] {
  const line = new RegExp(`debug: ${scanDispatchQueue.name}: \\d+ message\\(s\\), \\d+ failed, \\d+ ms \\(messages=([^)]+)\\)`, 'g');
  return [...stdout.matchAll(line)].flatMap((m) => m[1]!.split(','));
}

describe('queued messages across kill -9', () => {
  it('delivers every acknowledged message after a SIGKILL and a restart, and none that its worker had finished', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftwatch-kill-'));
    try {
      // Prepare: a group with one enrolled server, so each dispatch message (one per slot) makes one scan.
      const first = await startNpm(dir, 0, { DRIFTWATCH_LOG: 'debug' });
      const credentials = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8'));
      const api = apiClient(first.apiUrl);
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

      const second = await startNpm(dir, 0, { DRIFTWATCH_LOG: 'debug' });
      const again = apiClient(second.apiUrl);
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
    } finally {
      await rm(dir, { recursive: true, force: true });
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
