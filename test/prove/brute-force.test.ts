import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_FAILURES_PER_MINUTE } from '../../functions/api/middleware/brute-force.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { enrollOverWire, type WireAgent } from '../helpers/wire-scan.ts';
import { rawRequest, type RawResponse } from './helpers/raw-http.ts';

/**
 * Issue 19, brute force: invalid credentials repeated from one source address are answered 429 with
 * Retry-After (problem+json) past the limit, while valid keys of the same tenant, from the same address,
 * keep working; another address is not affected. Real HTTP on the loopback: 127.0.0.2 is a second source.
 */
let stack: TestStack;
let admin: string;
let agent: WireAgent;

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  agent = await enrollOverWire(stack.api, stack.credentials.enrollmentKey, 'web-1', 'bf');
});
afterAll(() => stack?.stop());

const get = (key: string, from = '127.0.0.1', path = '/v1/policies'): Promise<RawResponse> =>
  rawRequest(stack.apiUrl, { method: 'GET', path, headers: { authorization: `Bearer ${key}` }, localAddress: from });

/** Wrong guesses of every shape: a known key id with a wrong secret, unknown ids, other kinds, garbage. */
function invalidKey(i: number): string {
  const [tenantPart, keyPart] = admin.split('.');
  const guesses = [
    `${tenantPart}.${keyPart}.wrong-secret-${i}`,
    `dwk_${stack.credentials.tenantId}.key_${'0'.repeat(20)}${i}.secret`,
    `dwa_${stack.credentials.tenantId}.${agent.serverId}.guess${i}`,
    `dwe_${stack.credentials.tenantId}.1.guess${i}`,
    `dwo_guess${i}`,
    `garbage-${i}`,
  ];
  return guesses[i % guesses.length]!;
}

/** Waits, when fewer than 25 s of this UTC minute are left, for the next one: the limit counts per minute. */
async function startOfAFreshMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 25_000) await sleep(left + 200);
}

describe('brute force from one source address', () => {
  it(`past ${AUTH_FAILURES_PER_MINUTE} invalid keys a minute: 429 with Retry-After, while valid keys from the same address keep working`, async () => {
    await startOfAFreshMinute();
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
      const res = await get(invalidKey(i));
      expect(res.status, invalidKey(i)).toBe(401);
      if (i % 10 === 0) expect((await get(admin)).status).toBe(200);
    }
    for (let i = 0; i < 12; i++) {
      const refused = await get(invalidKey(AUTH_FAILURES_PER_MINUTE + i));
      expect(refused.status).toBe(429);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json).toMatchObject({ status: 429, title: 'Too many requests' });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Every kind of valid credential of the tenant, from the very same address, still works.
    expect((await get(admin)).status).toBe(200);
    const reader = await stack.api('POST', '/v1/api-keys', { key: admin, body: { name: 'reader', role: 'read-only' } });
    expect(reader.status).toBe(201);
    expect((await get(reader.json.key)).status).toBe(200);
    const checkIn = await rawRequest(stack.apiUrl, {
      method: 'POST',
      path: '/v1/agent/check-in',
      headers: { authorization: `Bearer ${agent.credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agentVersion: '1.0.0' }),
      localAddress: '127.0.0.1',
    });
    expect(checkIn.status).toBe(200);
    expect((await get(stack.credentials.enrollmentKey, '127.0.0.1', '/v1/policies')).status).toBe(403);

    // Another address has its own count: its first invalid key is an ordinary 401.
    expect((await get(invalidKey(0), '127.0.0.2')).status).toBe(401);
    expect((await get(admin, '127.0.0.2')).status).toBe(200);
  });

  it('a request with no credential at all is a 401, not counted as a guess', async () => {
    const res = await rawRequest(stack.apiUrl, { method: 'GET', path: '/v1/policies', localAddress: '127.0.0.3' });
    expect(res.status).toBe(401);
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE + 5; i++) {
      expect((await rawRequest(stack.apiUrl, { method: 'GET', path: '/v1/policies', localAddress: '127.0.0.3' })).status).toBe(401);
    }
    expect((await get(invalidKey(1), '127.0.0.3')).status).toBe(401);
  });
});
