import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 9: routes are matched before any credential is looked at, access is declared per route, list
 * queries are strict and cursors cannot be forged. On the real local stack.
 */
let stack: TestStack;
let admin: string;

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
});
afterAll(() => stack?.stop());

describe('routing before authentication', () => {
  it('an unknown path is a 404 with any credential, or none (a wrong base URL says so)', async () => {
    for (const key of [undefined, admin, 'nope']) {
      const res = await stack.api('GET', '/v1/v1/events', { key });
      expect(res.status, String(key)).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });

  it('a known path with a wrong method is a 405 naming the methods it takes', async () => {
    for (const key of [undefined, admin]) {
      const res = await stack.api('PUT', '/v1/policies/pol_00000000000000000000000000', { key, body: {} });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')?.split(/,\s*/).sort()).toEqual(['DELETE', 'GET', 'PATCH']);
      expect(res.json).toMatchObject({ status: 405 });
    }
    const agentNodes = await stack.api('GET', '/v1/agent/scans/scn_x/nodes');
    expect(agentNodes.status).toBe(405);
    expect(agentNodes.headers.get('allow')).toBe('POST');
  });
});

describe('access per route', () => {
  it('a valid credential of the wrong kind, or a role too low, is 403 naming what the route needs', async () => {
    const reader = (await stack.api('POST', '/v1/api-keys', { key: admin, body: { name: 'r', role: 'read-only' } })).json.key as string;
    const denied = await stack.api('POST', '/v1/policies', { key: reader, body: { name: 'x', platform: 'linux', targets: [] } });
    expect(denied.status).toBe(403);
    expect(denied.json.detail).toMatch(/author/);
    const operatorOnTenantRoute = await stack.api('GET', '/v1/policies', { key: stack.credentials.operatorKey });
    expect(operatorOnTenantRoute.status).toBe(403);
    const enrollmentOnTenantRoute = await stack.api('GET', '/v1/policies', { key: stack.credentials.enrollmentKey });
    expect(enrollmentOnTenantRoute.status).toBe(403);
  });
});

describe('lists', () => {
  it('an unknown query parameter is a 400 naming it, so a typo never looks like a result', async () => {
    const res = await stack.api('GET', '/v1/events?changetype=added', { key: admin });
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain('changetype');
    expect(res.json.errors).toEqual([{ path: 'changetype', message: 'unknown query parameter' }]);
    expect((await stack.api('GET', '/v1/policies?bogus=1', { key: admin })).status).toBe(400);
    expect((await stack.api('GET', '/v1/events?changeType=added', { key: admin })).status).toBe(200);
  });

  it('every list route refuses a hand-made, edited or borrowed cursor with a 400, not a 500 (issue 10 item 5)', async () => {
    // Every GET that answers a page, from the OpenAPI document: a list route added later is covered too.
    const doc = (await stack.api('GET', '/openapi.json')).json as { paths: Record<string, { get?: { parameters?: { name: string; in: string }[]; responses: Record<string, any> } }> };
    const lists = Object.entries(doc.paths)
      .filter(([, ops]) => ops.get?.responses['200']?.content?.['application/json']?.schema?.properties?.nextCursor)
      .map(([path, ops]) => ({ path, params: (ops.get!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name) }));
    expect(lists.map((l) => l.path)).toEqual(expect.arrayContaining(['/v1/events', '/v1/policies', '/v1/servers', '/v1/scans', '/v1/server-groups', '/v1/api-keys', '/v1/audit']));
    for (const list of lists) expect(list.params, list.path).toEqual(expect.arrayContaining(['limit', 'cursor']));

    for (let i = 0; i < 2; i++) await stack.api('POST', '/v1/policies', { key: admin, body: { name: `cursor-${i}`, platform: 'linux', targets: [] } });
    const real = (await stack.api('GET', '/v1/policies?limit=1', { key: admin })).json.nextCursor as string;
    expect((await stack.api('GET', `/v1/policies?limit=1&cursor=${real}`, { key: admin })).status).toBe(200);
    const [body, mac] = real.split('.');
    const forged = {
      handMade: Buffer.from(JSON.stringify({ pk: `T#${stack.credentials.tenantId}#EVENTS` })).toString('base64url'),
      edited: `${Buffer.from(JSON.stringify({ pk: `T#${stack.credentials.tenantId}`, sk: 'POLICY#' })).toString('base64url')}.${mac}`,
      badMac: `${body}.${mac!.slice(0, -2)}AA`,
      garbage: '%25%00..',
    };
    for (const { path } of lists) {
      const cursors = path === '/v1/policies' ? Object.values(forged) : [...Object.values(forged), real];
      for (const cursor of cursors) {
        const res = await stack.api('GET', `${path}?cursor=${cursor}`, { key: admin });
        expect(res.status, `${path} ${cursor}`).toBe(400);
        expect(res.json.errors?.[0]?.path, path).toBe('cursor');
      }
    }
  });

  it('pages through a list with the cursors it answers', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await stack.api('POST', '/v1/policies', { key: admin, body: { name: `p${i}`, platform: 'linux', targets: [] } })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { json: { items: { id: string }[]; nextCursor: string | null } } = await stack.api('GET', `/v1/policies?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: admin });
      seen.push(...res.json.items.map((p) => p.id));
      cursor = res.json.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(5);
  });
});

describe('group scans', () => {
  it('answer a pending scan per active server at once and create them through the dispatch queue', async () => {
    const group = (await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'g', tag: 'g' } })).json;
    const serverIds: string[] = [];
    for (const hostname of ['a', 'b', 'c']) {
      const res = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname, platform: 'linux', agentVersion: '1', tag: 'g' } });
      serverIds.push(res.json.serverId);
    }
    expect((await stack.api('DELETE', `/v1/servers/${serverIds[2]}`, { key: admin })).status).toBe(204);
    const res = await stack.api('POST', `/v1/server-groups/${group.id}/scans`, { key: admin });
    expect(res.status).toBe(202);
    expect(res.json.scans.map((s: { serverId: string }) => s.serverId).sort()).toEqual(serverIds.slice(0, 2).sort());
    await stack.drain();
    for (const scan of res.json.scans as { id: string }[]) {
      expect((await stack.api('GET', `/v1/scans/${scan.id}`, { key: admin })).json).toMatchObject({ id: scan.id, status: 'pending', kind: 'on-demand' });
    }
  });
});
