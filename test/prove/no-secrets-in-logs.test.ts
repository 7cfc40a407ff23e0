import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../helpers/agent.ts';
import { killAllStarted, startNpm, terminate, type Started } from '../helpers/npm-start.ts';
import { apiClient, type Api } from '../helpers/stack.ts';
import { startReceiver, until, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

/**
 * Issue 19, no secret in logs: `npm start` at its most verbose (DRIFTWATCH_LOG=debug, Powertools at DEBUG),
 * its whole stdout and stderr captured over a run that handles every kind of secret: the operator key
 * creating a tenant, API keys created and used, the enrollment key enrolling the real agent CLI and rotated,
 * the agent's credential on every scan, a sync destination's secret signing a delivery, alert mails, and
 * invalid keys refused. None of those secrets, nor the stack's master secret or webhook key, may appear.
 */
const root = mkdtempSync(join(tmpdir(), 'dw-logs-'));
const dataDir = join(root, 'data');
const watched = join(root, 'etc');
const stateDir = join(root, 'agent');
let started: Started;
let api: Api;
let receiver: WebhookReceiver;
const secrets = new Map<string, string>();

/** A secret and, for a `prefix_a.b.secret` token, its secret part alone. */
function remember(what: string, token: string): void {
  secrets.set(what, token);
  const tail = token.split('.').pop()!;
  if (tail !== token && tail.length >= 16) secrets.set(`${what} (secret part)`, tail);
}

beforeAll(async () => {
  mkdirSync(watched, { recursive: true });
  for (const name of ['a', 'b', 'c']) writeFileSync(join(watched, `${name}.conf`), `${name}\n`);
  receiver = await startReceiver();
  started = await startNpm(dataDir, 0, { DRIFTWATCH_LOG: 'debug', POWERTOOLS_LOG_LEVEL: 'DEBUG' });
  api = apiClient(started.apiUrl);
}, 120_000);
afterAll(async () => {
  killAllStarted();
  await receiver?.close();
  rmSync(root, { recursive: true, force: true });
});

const must = async (what: string, res: Promise<{ status: number; json: any; text: string }>, status: number) => {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.json;
};

describe('the logs of a whole run', () => {
  it('hold none of the secrets the run handled', async () => {
    const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
    const stackSecrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
    const webhookKey = JSON.parse(readFileSync(join(dataDir, 'webhook-key.json'), 'utf8'));
    remember('operator key', credentials.operatorKey);
    remember('admin key', credentials.adminKey);
    remember('enrollment key', credentials.enrollmentKey);
    secrets.set('master secret', stackSecrets.masterSecret);
    secrets.set('webhook key', webhookKey.webhookSecretKey);
    const admin = credentials.adminKey as string;

    const other = await must('tenant', api('POST', '/v1/tenants', { key: credentials.operatorKey, body: { name: 'other' } }), 201);
    remember('new tenant admin key', other.adminKey);
    remember('new tenant enrollment key', other.enrollmentKey);
    for (const role of ['read-only', 'user', 'author']) {
      const made = await must(`${role} key`, api('POST', '/v1/api-keys', { key: admin, body: { name: role, role } }), 201);
      remember(`${role} key`, made.key);
      await must(`${role} key used`, api('GET', '/v1/events', { key: made.key }), 200);
    }
    const webhookSecret = 'whsec-logs-0123456789abcdef-XYZ';
    secrets.set('webhook secret', webhookSecret);
    const destination = await must('sync destination', api('POST', '/v1/sync-destinations', { key: admin, body: { name: 'siem', type: 'webhook', url: receiver.url, secret: webhookSecret } }), 201);
    const profile = await must('alert profile', api('POST', '/v1/alert-profiles', { key: admin, body: { name: 'on call', recipients: ['sec@example.com'] } }), 201);
    const policy = await must('policy', api('POST', '/v1/policies', { key: admin, body: { name: 'etc', platform: 'linux', targets: [{ path: watched, critical: true }] } }), 201);
    await must('group', api('POST', '/v1/server-groups', { key: admin, body: { name: 'web', tag: 'web', policyIds: [policy.id], alertProfileIds: [profile.id] } }), 201);

    const enrolled = await runAgent(['enroll', '--api', started.apiUrl, '--key', credentials.enrollmentKey, '--tag', 'web', '--hostname', 'web-1'], { stateDir });
    expect(enrolled.code, enrolled.stderr).toBe(0);
    remember('agent credential', JSON.parse(readFileSync(join(stateDir, 'credential.json'), 'utf8')).credential);
    expect((await runAgent(['scan'], { stateDir })).code).toBe(0);
    for (const name of ['a', 'b']) writeFileSync(join(watched, `${name}.conf`), `${name} changed\n`);
    expect((await runAgent(['scan'], { stateDir })).code).toBe(0);
    await must('drain', api('POST', '/_local/drain'), 200);

    const events = (await must('events', api('GET', '/v1/events', { key: admin }), 200)).items as { id: string }[];
    expect(events.length).toBeGreaterThan(0);
    await must('label', api('POST', '/v1/events/labels', { key: admin, body: { eventIds: events.map((e) => e.id), labelId: 'lbl_suspicious', note: 'check' } }), 200);
    await must('send now', api('POST', `/v1/sync-destinations/${destination.id}/send-now`, { key: admin }), 202);
    await must('drain', api('POST', '/_local/drain'), 200);
    await until(() => receiver.requests.length > 0, 'a webhook delivery');
    const rotated = await must('rotate', api('POST', '/v1/enrollment-key/rotate', { key: admin }), 200);
    remember('rotated enrollment key', rotated.key);
    for (const wrong of [`${admin.slice(0, -4)}XXXX`, `${credentials.enrollmentKey}x`, 'dwk_nope.nope.nope']) {
      expect((await api('GET', '/v1/events', { key: wrong })).status).toBe(401);
    }
    const mails = await must('mail', api('GET', '/_local/mail'), 200);
    expect(mails.length).toBeGreaterThan(0);
    expect(await terminate(started.child)).toBe(0);

    const log = started.stdout() + started.stderr();
    // The capture is real: it has the run's requests, its scans, its mail and its delivery.
    expect(log).toMatch(/POST \/v1\/agent\/enroll/);
    expect(log).toMatch(/\/v1\/sync-destinations/);
    expect(log).toMatch(/mail sent to sec@example\.com/);
    expect(log.split('\n').length).toBeGreaterThan(50);
    const found = [...secrets].filter(([, secret]) => log.includes(secret)).map(([what]) => what);
    expect(found).toEqual([]);
    expect(secrets.size).toBeGreaterThan(15);
  });
});
