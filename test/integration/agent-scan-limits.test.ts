import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OPEN_SCANS } from '../../functions/domain/open-scans.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 10, item 4: an agent could create any number of scans (300 POSTs, 300 pending scans, a check-in
 * answer growing without end). Agent-requested scans now fold into the open pending scan of their kind,
 * and a server holds at most MAX_OPEN_SCANS open scans: past that a request is a 429 with Retry-After.
 */
let stack: TestStack;
let admin: string;

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
});
afterAll(() => stack?.stop());

async function enroll(hostname: string) {
  const res = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname, platform: 'linux', agentVersion: '1.0.0' } });
  expect(res.status).toBe(201);
  return res.json as { serverId: string; credential: string };
}

const checkIn = async (credential: string) =>
  (await stack.api('POST', '/v1/agent/check-in', { key: credential, body: { agentVersion: '1.0.0', configVersion: null } })).json as { pendingScans: { id: string; kind: string }[] };

describe('agent-requested scans fold into the open one of their kind', () => {
  it('50 requests of an on-demand scan give one pending scan, and the check-in lists it once', async () => {
    const agent = await enroll('flood-1');
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const res = await stack.api('POST', '/v1/agent/scans', { key: agent.credential, body: { kind: 'on-demand' } });
      expect(res.status).toBe(201);
      ids.add(res.json.id);
    }
    expect(ids.size).toBe(1);
    const realTime = await stack.api('POST', '/v1/agent/scans', { key: agent.credential, body: { kind: 'real-time' } });
    expect(ids.has(realTime.json.id)).toBe(false);
    const pending = (await checkIn(agent.credential)).pendingScans;
    expect(pending.map((s) => s.kind).sort()).toEqual(['on-demand', 'real-time']);
    const scans = (await stack.api('GET', `/v1/scans?serverId=${agent.serverId}`, { key: admin })).json.items;
    expect(scans).toHaveLength(2);
  });

  it('a scan the agent already started is not handed out again: the next request opens a new one', async () => {
    const agent = await enroll('flood-2');
    const first = (await stack.api('POST', '/v1/agent/scans', { key: agent.credential, body: { kind: 'on-demand' } })).json.id as string;
    expect((await stack.api('POST', `/v1/agent/scans/${first}/have`, { key: agent.credential, body: { hashes: ['A'.repeat(22)] } })).status).toBe(200);
    const second = (await stack.api('POST', '/v1/agent/scans', { key: agent.credential, body: { kind: 'on-demand' } })).json.id as string;
    expect(second).not.toBe(first);
  });
});

describe('a server holds at most MAX_OPEN_SCANS open scans', () => {
  it('scans started and left open count; past the cap the agent gets 429 + Retry-After and nothing is created', async () => {
    const agent = await enroll('flood-3');
    for (let i = 0; i < MAX_OPEN_SCANS; i++) {
      const res = await stack.api('POST', '/v1/agent/scans', { key: agent.credential, body: { kind: 'on-demand' } });
      expect(res.status, res.text).toBe(201);
      // Started (running), so the next request cannot fold into it.
      expect((await stack.api('POST', `/v1/agent/scans/${res.json.id}/have`, { key: agent.credential, body: { hashes: ['A'.repeat(22)] } })).status).toBe(200);
    }
    const refused = await stack.api('POST', '/v1/agent/scans', { key: agent.credential, body: { kind: 'on-demand' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.json.detail).toMatch(/open scans/);
    expect((await checkIn(agent.credential)).pendingScans).toHaveLength(MAX_OPEN_SCANS);

    // A user's request for that server is refused the same way; once the agent closes a scan, it is taken.
    const byUser = await stack.api('POST', `/v1/servers/${agent.serverId}/scans`, { key: admin });
    expect(byUser.status).toBe(429);
    expect(Number(byUser.headers.get('retry-after'))).toBeGreaterThan(0);
    const open = (await checkIn(agent.credential)).pendingScans[0]!;
    expect((await stack.api('POST', `/v1/agent/scans/${open.id}/fail`, { key: agent.credential, body: { error: 'gave up' } })).status).toBe(200);
    expect((await stack.api('POST', `/v1/servers/${agent.serverId}/scans`, { key: admin })).status).toBe(202);
    expect((await stack.api('GET', `/v1/scans?serverId=${agent.serverId}&limit=500`, { key: admin })).json.items).toHaveLength(MAX_OPEN_SCANS + 1);
  });
});
