import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '../../functions/shared/clients.ts';
import { keys } from '../../functions/store/keys.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 10, item 7: anyone holding the enrollment key could enroll any number of servers and the only
 * trace was `enrolledAt`. Each enrollment is now in the tenant's audit trail (key generation, source
 * address, user agent, hostname), and enrollments per minute are limited by a tenant setting (429 with
 * Retry-After above it) whose default lets a fleet roll out.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

async function newTenant(name: string) {
  const res = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name } });
  expect(res.status).toBe(201);
  return { id: res.json.tenant.id as string, admin: res.json.adminKey as string, enrollmentKey: res.json.enrollmentKey as string };
}

const enroll = (enrollmentKey: string, hostname: string) =>
  stack.api('POST', '/v1/agent/enroll', { key: enrollmentKey, body: { hostname, platform: 'linux', agentVersion: '1.0.0', tag: 'web' }, headers: { 'user-agent': 'driftwatch-agent/1.0.0 test' } });

/** The limit counts per UTC minute: start a burst early enough in a minute that it ends inside it. */
async function atStartOfAMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

describe('every enrollment leaves a trace', () => {
  it('the audit trail records key generation, source address, user agent and hostname; admins only', async () => {
    const tenant = await newTenant('trail');
    const first = await enroll(tenant.enrollmentKey, 'web-1');
    expect(first.status).toBe(201);
    // The same hostname again is allowed (a rebuilt host), and recorded as its own enrollment.
    const again = await enroll(tenant.enrollmentKey, 'web-1');
    expect(again.status).toBe(201);

    const trail = await stack.api('GET', '/v1/audit?action=server.enrolled', { key: tenant.admin });
    expect(trail.status).toBe(200);
    expect(trail.json.items.map((e: { target: { id: string } }) => e.target.id)).toEqual([again.json.serverId, first.json.serverId]);
    expect(trail.json.items[1]).toMatchObject({
      action: 'server.enrolled',
      actor: { type: 'enrollment-key', keyGeneration: 1 },
      target: { type: 'server', id: first.json.serverId },
      sourceIp: '127.0.0.1',
      userAgent: 'driftwatch-agent/1.0.0 test',
      details: { hostname: 'web-1', platform: 'linux', agentVersion: '1.0.0', tag: 'web' },
    });
    // The trail of one server.
    const ofServer = await stack.api('GET', `/v1/audit?targetId=${first.json.serverId}`, { key: tenant.admin });
    expect(ofServer.json.items.map((e: { action: string }) => e.action)).toEqual(['server.enrolled']);

    // After a rotation, enrollments name the new generation; the rotation itself is recorded.
    const rotated = (await stack.api('POST', '/v1/enrollment-key/rotate', { key: tenant.admin })).json.key as string;
    expect((await enroll(rotated, 'web-2')).status).toBe(201);
    const latest = (await stack.api('GET', '/v1/audit?limit=2', { key: tenant.admin })).json.items;
    expect(latest.map((e: { action: string }) => e.action)).toEqual(['server.enrolled', 'enrollment-key.rotated']);
    expect(latest[0].actor).toEqual({ type: 'enrollment-key', keyGeneration: 2 });
    expect(latest[1].details).toEqual({ generation: 2 });

    const reader = (await stack.api('POST', '/v1/api-keys', { key: tenant.admin, body: { name: 'r', role: 'author' } })).json.key as string;
    expect((await stack.api('GET', '/v1/audit', { key: reader })).status).toBe(403);

    // Another tenant's admin sees none of it, not even by naming the server.
    const other = await newTenant('trail-other');
    expect((await stack.api('GET', '/v1/audit?action=server.enrolled', { key: other.admin })).json.items).toEqual([]);
    expect((await stack.api('GET', `/v1/audit?targetId=${first.json.serverId}`, { key: other.admin })).json.items).toEqual([]);
  });

  it('hostile names: control characters in a hostname, tag or version are a 400 and leave nothing; a user agent is kept escaped', async () => {
    const tenant = await newTenant('hostile');
    for (const body of [
      { hostname: 'web-1\u001b[2J', platform: 'linux', agentVersion: '1.0.0' },
      { hostname: 'web-1', platform: 'linux', agentVersion: '1.0.0\nforged log line' },
      { hostname: 'web-1', platform: 'linux', agentVersion: '1.0.0', tag: 'a\u0085b' },
    ]) {
      const res = await stack.api('POST', '/v1/agent/enroll', { key: tenant.enrollmentKey, body });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].message).toMatch(/control characters/);
    }
    expect((await stack.api('GET', '/v1/servers', { key: tenant.admin })).json.items).toEqual([]);
    expect((await stack.api('GET', '/v1/audit?action=server.enrolled', { key: tenant.admin })).json.items).toEqual([]);

    const res = await stack.api('POST', '/v1/agent/enroll', { key: tenant.enrollmentKey, body: { hostname: 'web-1', platform: 'linux', agentVersion: '1.0.0' }, headers: { 'user-agent': 'agent\u0085next' } });
    expect(res.status).toBe(201);
    const [entry] = (await stack.api('GET', '/v1/audit?action=server.enrolled', { key: tenant.admin })).json.items;
    expect(entry.userAgent).toBe('agent\\xc2\\x85next');
  });
});

describe('enrollments per minute are limited per tenant', () => {
  it('the default lets a fleet roll out (at least 600 a minute), including tenants made before the setting', async () => {
    const tenant = await newTenant('defaults');
    const settings = (await stack.api('GET', '/v1/settings', { key: tenant.admin })).json;
    expect(settings.enrollmentRateLimitPerMinute).toBeGreaterThanOrEqual(600);
    const bad = await stack.api('PATCH', '/v1/settings', { key: tenant.admin, body: { enrollmentRateLimitPerMinute: 0 } });
    expect(bad.status).toBe(400);
    // A tenant whose stored settings predate the field gets the default, and enrolls under it.
    await getDb().doc.send(new UpdateCommand({ TableName: getDb().table, Key: keys.tenant(tenant.id), UpdateExpression: 'REMOVE settings.enrollmentRateLimitPerMinute' }));
    expect((await stack.api('GET', '/v1/settings', { key: tenant.admin })).json.enrollmentRateLimitPerMinute).toBe(settings.enrollmentRateLimitPerMinute);
    expect((await enroll(tenant.enrollmentKey, 'old-1')).status).toBe(201);
  });

  it('above the setting: 429 with Retry-After, nothing created, one audit entry per minute of refusals', async () => {
    const tenant = await newTenant('limited');
    expect((await stack.api('PATCH', '/v1/settings', { key: tenant.admin, body: { enrollmentRateLimitPerMinute: 3 } })).json.enrollmentRateLimitPerMinute).toBe(3);
    await atStartOfAMinute();
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await enroll(tenant.enrollmentKey, `burst-${i}`));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 429, 429, 429]);
    const refused = answers[3]!;
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.json.detail).toMatch(/3 enrollments a minute/);

    const servers = (await stack.api('GET', '/v1/servers', { key: tenant.admin })).json.items;
    expect(servers).toHaveLength(3);
    const trail = (await stack.api('GET', '/v1/audit', { key: tenant.admin })).json.items as { action: string; details: Record<string, unknown>; sourceIp?: string }[];
    expect(trail.filter((e) => e.action === 'server.enrolled')).toHaveLength(3);
    const limited = trail.filter((e) => e.action === 'enrollment.rate-limited');
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ details: { limitPerMinute: 3, hostname: 'burst-3' }, sourceIp: '127.0.0.1' });
  });

  it('concurrent enrollments are counted exactly: a burst of 25 against a limit of 10 enrolls 10', async () => {
    const tenant = await newTenant('burst');
    await stack.api('PATCH', '/v1/settings', { key: tenant.admin, body: { enrollmentRateLimitPerMinute: 10 } });
    await atStartOfAMinute();
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => enroll(tenant.enrollmentKey, `c-${i}`)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(15);
    expect((await stack.api('GET', '/v1/servers', { key: tenant.admin })).json.items).toHaveLength(10);
  });
});

describe('enrollment keys can expire (optional)', () => {
  const age = async (tenantId: string, days: number) =>
    getDb().doc.send(
      new UpdateCommand({ TableName: getDb().table, Key: keys.tenant(tenantId), UpdateExpression: 'SET enrollmentKeyIssuedAt = :at', ExpressionAttributeValues: { ':at': new Date(Date.now() - days * 86_400_000).toISOString() } }),
    );

  it('never by default; with enrollmentKeyMaxAgeDays, a key older than that is a 401 saying so, until rotated', async () => {
    const tenant = await newTenant('expiring');
    const fresh = (await stack.api('GET', '/v1/enrollment-key', { key: tenant.admin })).json;
    expect(fresh).toEqual({ key: tenant.enrollmentKey, expiresAt: null });
    await age(tenant.id, 400);
    expect((await enroll(tenant.enrollmentKey, 'old-key')).status).toBe(201);

    const set = await stack.api('PATCH', '/v1/settings', { key: tenant.admin, body: { enrollmentKeyMaxAgeDays: 30 } });
    expect(set.json.enrollmentKeyMaxAgeDays).toBe(30);
    const expired = await enroll(tenant.enrollmentKey, 'too-late');
    expect(expired.status).toBe(401);
    expect(expired.json.detail).toMatch(/expired/);
    expect(Date.parse((await stack.api('GET', '/v1/enrollment-key', { key: tenant.admin })).json.expiresAt)).toBeLessThan(Date.now());

    const rotated = (await stack.api('POST', '/v1/enrollment-key/rotate', { key: tenant.admin })).json;
    expect(Date.parse(rotated.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await enroll(rotated.key, 'new-key')).status).toBe(201);
    // Back to never.
    expect((await stack.api('PATCH', '/v1/settings', { key: tenant.admin, body: { enrollmentKeyMaxAgeDays: null } })).json.enrollmentKeyMaxAgeDays).toBeNull();
    await age(tenant.id, 400);
    expect((await enroll(rotated.key, 'again')).status).toBe(201);
  });
});
