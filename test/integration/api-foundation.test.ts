import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/** Issue 2 acceptance on the real local stack: auth, roles, tenant isolation, errors, OpenAPI. */
let stack: TestStack;
let admin: string;
let other: { tenantId: string; adminKey: string };

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  const created = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name: 'Other Corp' } });
  expect(created.status).toBe(201);
  other = { tenantId: created.json.tenant.id, adminKey: created.json.adminKey };
});
afterAll(() => stack?.stop());

const keyWithRole = async (role: string) => (await stack.api('POST', '/v1/api-keys', { key: admin, body: { name: role, role } })).json.key as string;

describe('authentication', () => {
  it('401 without a key, with a wrong key, and with a well-formed key whose secret is wrong', async () => {
    expect((await stack.api('GET', '/v1/policies')).status).toBe(401);
    expect((await stack.api('GET', '/v1/policies', { key: 'nope' })).status).toBe(401);
    const forged = admin.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const res = await stack.api('GET', '/v1/policies', { key: forged });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.json).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it('only the operator key creates tenants', async () => {
    // A valid tenant key on the operator's route is a 403 (issue 9), an invalid key a 401.
    expect((await stack.api('POST', '/v1/tenants', { key: admin, body: { name: 'x' } })).status).toBe(403);
    expect((await stack.api('POST', '/v1/tenants', { key: 'dwo_not-the-key', body: { name: 'x' } })).status).toBe(401);
  });

  it('API keys are shown once and listed without secrets; a revoked key stops working', async () => {
    const created = await stack.api('POST', '/v1/api-keys', { key: admin, body: { name: 'ci', role: 'read-only' } });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^dwk_/);
    const list = await stack.api('GET', '/v1/api-keys', { key: admin });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(created.json.key.split('.').pop());
    expect(list.json.items.map((k: { id: string }) => k.id)).toContain(created.json.id);
    expect((await stack.api('GET', '/v1/policies', { key: created.json.key })).status).toBe(200);
    expect((await stack.api('DELETE', `/v1/api-keys/${created.json.id}`, { key: admin })).status).toBe(204);
    expect((await stack.api('GET', '/v1/policies', { key: created.json.key })).status).toBe(401);
  });
});

describe('roles', () => {
  it('403 when the role is too low, 2xx when it suffices', async () => {
    const readOnly = await keyWithRole('read-only');
    const user = await keyWithRole('user');
    const author = await keyWithRole('author');
    expect((await stack.api('GET', '/v1/server-groups', { key: readOnly })).status).toBe(200);
    expect((await stack.api('GET', '/v1/api-keys', { key: readOnly })).status).toBe(403);
    expect((await stack.api('GET', '/v1/enrollment-key', { key: author })).status).toBe(403);
    const policy = { name: 'p', platform: 'linux', state: 'on', targets: [] };
    expect((await stack.api('POST', '/v1/policies', { key: readOnly, body: policy })).status).toBe(403);
    expect((await stack.api('POST', '/v1/policies', { key: user, body: policy })).status).toBe(403);
    expect((await stack.api('POST', '/v1/policies', { key: author, body: policy })).status).toBe(201);
    expect((await stack.api('POST', '/v1/api-keys', { key: author, body: { name: 'x', role: 'admin' } })).status).toBe(403);
  });
});

describe('tenant isolation', () => {
  it("another tenant's object is a 404, exactly as if it did not exist", async () => {
    const mine = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'mine', platform: 'linux', targets: [{ path: '/etc' }] } });
    expect(mine.status).toBe(201);
    const theirs = await stack.api('GET', `/v1/policies/${mine.json.id}`, { key: other.adminKey });
    const absent = await stack.api('GET', '/v1/policies/pol_doesnotexist0000', { key: other.adminKey });
    expect(theirs.status).toBe(404);
    expect(theirs.json).toEqual(absent.json);
    expect((await stack.api('PATCH', `/v1/policies/${mine.json.id}`, { key: other.adminKey, body: { name: 'stolen' } })).status).toBe(404);
    expect((await stack.api('DELETE', `/v1/policies/${mine.json.id}`, { key: other.adminKey })).status).toBe(404);
    expect((await stack.api('GET', `/v1/policies/${mine.json.id}`, { key: admin })).json.name).toBe('mine');
    const list = await stack.api('GET', '/v1/policies', { key: other.adminKey });
    expect(list.json.items.map((p: { id: string }) => p.id)).not.toContain(mine.json.id);
  });

  it("a cursor from one tenant's list is refused in another's", async () => {
    for (let i = 0; i < 3; i++) await stack.api('POST', '/v1/policies', { key: admin, body: { name: `p${i}`, platform: 'linux' } });
    const page = await stack.api('GET', '/v1/policies?limit=1', { key: admin });
    expect(page.json.nextCursor).toEqual(expect.any(String));
    const stolen = await stack.api('GET', `/v1/policies?limit=1&cursor=${page.json.nextCursor}`, { key: other.adminKey });
    expect(stolen.status).toBe(400);
  });
});

describe('bad input', () => {
  it('400 problem+json listing field paths for invalid and unknown fields, and nothing is created', async () => {
    const before = (await stack.api('GET', '/v1/policies?limit=500', { key: admin })).json.items.length;
    const res = await stack.api('POST', '/v1/policies', {
      key: admin,
      body: { name: 'bad', platform: 'linux', state: 'sometimes', targets: [{ path: 'relative/path' }], bogusField: 1 },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const paths = res.json.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['state', 'targets.0.path', 'bogusField']));
    expect((await stack.api('GET', '/v1/policies?limit=500', { key: admin })).json.items.length).toBe(before);
  });

  it('400 for malformed JSON and for a missing body', async () => {
    const res = await stack.api('POST', '/v1/policies', { key: admin, raw: '{not json', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ status: 400 });
    expect((await stack.api('POST', '/v1/policies', { key: admin })).status).toBe(400);
  });

  it('400 for a bad query parameter, 404 problem for an unknown route', async () => {
    expect((await stack.api('GET', '/v1/policies?limit=100000', { key: admin })).status).toBe(400);
    const missing = await stack.api('GET', '/v1/nothing-here', { key: admin });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/problem\+json/);
  });
});

describe('enrollment key', () => {
  it('rotating invalidates the old key for enrollment', async () => {
    const current = await stack.api('GET', '/v1/enrollment-key', { key: admin });
    expect(current.json.key).toBe(stack.credentials.enrollmentKey);
    const rotated = await stack.api('POST', '/v1/enrollment-key/rotate', { key: admin });
    expect(rotated.json.key).not.toBe(current.json.key);
    const enroll = (key: string) =>
      stack.api('POST', '/v1/agent/enroll', { key, body: { hostname: 'h1', platform: 'linux', agentVersion: '1.0.0' } });
    expect((await enroll(current.json.key)).status).toBe(401);
    expect((await enroll(rotated.json.key)).status).toBe(201);
  });
});

describe('settings', () => {
  it('have the documented defaults, change partially, and set the agents\' check-in interval', async () => {
    const defaults = await stack.api('GET', '/v1/settings', { key: other.adminKey });
    expect(defaults.json).toEqual({ labeledEventSyncIntervalMinutes: 30, weeklyReport: { dayOfWeek: 'sunday', time: '00:00' }, eventRetentionDays: 90, agentCheckInIntervalSeconds: 300, alertMailsPerProfilePerHour: 20, enrollmentRateLimitPerMinute: 1000, enrollmentKeyMaxAgeDays: null });
    const patched = await stack.api('PATCH', '/v1/settings', { key: other.adminKey, body: { weeklyReport: { time: '06:30' }, agentCheckInIntervalSeconds: 600 } });
    expect(patched.json).toMatchObject({ weeklyReport: { dayOfWeek: 'sunday', time: '06:30' }, agentCheckInIntervalSeconds: 600, eventRetentionDays: 90 });
    expect((await stack.api('PATCH', '/v1/settings', { key: other.adminKey, body: { agentCheckInIntervalSeconds: 5 } })).status).toBe(400);
    const enrollmentKey = (await stack.api('GET', '/v1/enrollment-key', { key: other.adminKey })).json.key;
    const agent = await stack.api('POST', '/v1/agent/enroll', { key: enrollmentKey, body: { hostname: 'h', platform: 'linux', agentVersion: '1' } });
    const checkIn = await stack.api('POST', '/v1/agent/check-in', { key: agent.json.credential, body: { agentVersion: '1' } });
    expect(checkIn.json.checkInIntervalSeconds).toBe(600);
  });
});

describe('OpenAPI', () => {
  it('/openapi.json is a valid OpenAPI 3.1 document covering the routes, and /docs renders it', async () => {
    const res = await stack.api('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toMatch(/^3\.1/);
    const validator = new Validator();
    const result = await validator.validate(res.json);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(res.json.paths)).toEqual(expect.arrayContaining(['/v1/tenants', '/v1/api-keys', '/v1/policies/{id}', '/v1/agent/scans/{id}/nodes']));
    // /docs is Swagger UI over that document, every asset served by the app itself (rendering: test/e2e/api-reference.test.ts).
    const docs = await stack.api('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    const assets = [...docs.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((url) => url.startsWith('docs/'));
    expect(assets).toHaveLength(4);
    for (const asset of assets) {
      const res = await stack.api('GET', `/${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.status, asset).toBe(200);
      expect(res.bytes.length, asset).toBeGreaterThan(100);
    }
    expect((await stack.api('GET', '/docs/assets/constructor')).status).toBe(404);
  });
});

// Last: the server answers 413 before reading the whole body and closes that connection, which a
// keep-alive client would otherwise try to reuse for the next test.
describe('body limit', () => {
  it('413 for an oversized body', async () => {
    const res = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'x'.repeat(300 * 1024), platform: 'linux' } });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ status: 413 });
  });
});
