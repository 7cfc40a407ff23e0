import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startMailSink } from '../../functions/local/mail-sink.ts';
import { apiClient } from '../helpers/stack.ts';
import { killAllStarted, startNpm, terminate } from '../helpers/npm-start.ts';

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
