import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../helpers/stack.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { operationsOf, type OpenApiDocument, type Operation } from './helpers/spec.ts';
import { tableReader } from './helpers/table.ts';
import { seedTenant, type TenantData } from './helpers/tenant-data.ts';
import { concretePath, keyFor, validBody } from './helpers/valid-requests.ts';

/**
 * Issue 19, the tenant isolation matrix: two tenants with data of every kind; every route of
 * /openapi.json called by tenant B with every id of tenant A in its path (and A's ids in its body and
 * list filters): a 4xx (404 for an object B cannot see), nothing of A's in any answer, and A's items in
 * the table exactly as they were (a dump before and after, read with a Scan through the AWS SDK).
 */
const stack = await startTestStack();
const doc = (await stack.api('GET', '/openapi.json')).json as OpenApiDocument;
const operations = operationsOf(doc);
const sink = await startReceiver();
const table = tableReader(stack.endpoints.dynamodb);
/** Every name in tenant A's data holds this word, so an answer that shows any of A's data shows it. */
const A_WORD = 'alpha';
let a: TenantData;
let b: TenantData;
let aIds: string[];
let aExport: unknown;
let aDumpBefore: string[];

beforeAll(async () => {
  a = await seedTenant(stack, A_WORD, sink.url);
  b = await seedTenant(stack, 'bravo', sink.url);
  aIds = [...new Set([a.keys.tenantId, ...Object.values(a.ids)])];
  aExport = (await stack.api('GET', `/v1/policies/${a.ids.policy}/export`, { key: a.keys.admin })).json;
  await stack.drain();
  aDumpBefore = await table.tenantDump(a.keys.tenantId);
});
afterAll(async () => {
  await sink.close();
  await stack.stop();
});

/** What an answer to B must not hold: A's names, A's secrets, or an id of A that B did not send. */
function leaks(text: string, sentPath: string, sentBody: string): string | undefined {
  if (text.includes(A_WORD)) return `A's data (${A_WORD})`;
  const secret = a.secrets.find((s) => text.includes(s));
  if (secret) return 'a secret of A';
  const id = aIds.find((i) => text.includes(i) && !sentPath.includes(i) && !sentBody.includes(i));
  return id ? `A's id ${id}` : undefined;
}

/** B's requests for one operation: A's ids in every path parameter (each id in turn, and A's natural ids), A's ids in the body. */
function requestsOf(op: Operation): Array<{ path: string; body?: string; contentType?: string }> {
  const vb = validBody(op, { refs: a.ids, sinkUrl: sink.url, policyExport: aExport });
  const body = vb === undefined ? undefined : 'json' in vb ? JSON.stringify(vb.json) : vb.raw;
  const contentType = vb === undefined ? undefined : 'json' in vb ? 'application/json' : vb.contentType;
  if (op.pathParams.length) {
    const paths = [concretePath(op, a), ...aIds.map((id) => op.path.replace(/\{[^}]+\}/g, encodeURIComponent(id)))];
    return [...new Set(paths)].map((path) => ({ path, body, contentType }));
  }
  // No id in the path: A's ids in the body, or in the list filters that take ids.
  if (body !== undefined && aIds.some((id) => body.includes(id))) return [{ path: op.path, body, contentType }];
  const idFilters = op.queryParams.filter((p) => /Id$/.test(p.name));
  const filterValue = (name: string) => ({ serverId: a.ids.server, groupId: a.ids.group, policyId: a.ids.policy, labelId: a.ids.label, eventId: a.ids.event, targetId: a.ids.server })[name] ?? a.ids.policy;
  return idFilters.map((p) => ({ path: `${op.path}?${p.name}=${filterValue(p.name)}` }));
}

describe('tenant B with every id of tenant A', () => {
  it('B really has data of every kind of its own (the matrix is not vacuous)', async () => {
    for (const [kind, id] of Object.entries(b.ids)) expect(aIds, kind).not.toContain(id);
    expect((await stack.api('GET', `/v1/policies/${b.ids.policy}`, { key: b.keys.admin })).status).toBe(200);
    expect((await stack.api('GET', `/v1/reports/${b.ids.report}`, { key: b.keys.admin })).status).toBe(200);
  });

  for (const op of operations) {
    it(`${op.method} ${op.path}`, async () => {
      const key = keyFor(op, b.keys, b.keys.admin);
      const failures: string[] = [];
      for (const req of requestsOf(op)) {
        const res = await rawRequest(stack.apiUrl, {
          method: op.method,
          path: req.path,
          headers: { authorization: `Bearer ${key}`, ...(req.contentType ? { 'content-type': req.contentType } : {}) },
          body: req.body,
        });
        const isList = op.method === 'GET' && !op.pathParams.length;
        // An import answers 200 with each row it refused in `skipped` (the contract's shape): refused means none taken.
        const importRefused = res.status === 200 && (res.json?.created === 0 || res.json?.added === 0) && res.json?.skipped?.length > 0;
        if (isList ? res.status >= 500 : !importRefused && (res.status < 400 || res.status > 499)) failures.push(`${res.status} ${op.method} ${req.path}: ${res.text.slice(0, 200)}`);
        const leak = leaks(res.text, req.path, req.body ?? '');
        if (leak) failures.push(`${leak} in the answer to ${op.method} ${req.path}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it("leaves every item of tenant A as it was", async () => {
    await stack.drain();
    expect(await table.tenantDump(a.keys.tenantId)).toEqual(aDumpBefore);
  });
});
