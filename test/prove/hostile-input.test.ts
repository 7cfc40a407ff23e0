import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../helpers/stack.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';
import { hostileCases, type HostileCase } from './helpers/hostile-cases.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { operationsOf, type OpenApiDocument } from './helpers/spec.ts';
import { tableReader } from './helpers/table.ts';
import { seedTenant, type TenantData } from './helpers/tenant-data.ts';
import { concretePath, keyFor, validBody } from './helpers/valid-requests.ts';

/**
 * Issue 19, hostile input on every route: for each operation of the running stack's /openapi.json,
 * fast-check (fixed seed) sends requests that are wrong in one way the spec rules out, with each role's
 * valid key. Every answer must be a 4xx application/problem+json (never a 5xx, never a hang), and the
 * table (every item, read with a Scan through the AWS SDK) must be the same after each operation's cases
 * as before them: nothing written.
 */
const SEED = 19;
/** Cases per operation: about 3,000 in all over the ~80 operations. */
const RUNS = 36;

const stack = await startTestStack();
const doc = (await stack.api('GET', '/openapi.json')).json as OpenApiDocument;
const operations = operationsOf(doc);
const sink = await startReceiver();
const table = tableReader(stack.endpoints.dynamodb);
let tenant: TenantData;
/** Cases sent, by kind of hostility (the kind's first words): the last test checks every kind was tried. */
const sent = new Map<string, number>();
const KINDS = ['wrong type', 'missing field', 'extra field', 'huge string', 'deep nesting', 'invalid UTF-8', 'NUL', 'unexpected body', 'content-type', 'content-encoding', 'hostile id', 'query'];
let policyExport: unknown;

beforeAll(async () => {
  tenant = await seedTenant(stack, 'hostile', sink.url);
  policyExport = (await stack.api('GET', `/v1/policies/${tenant.ids.policy}/export`, { key: tenant.keys.admin })).json;
});
afterAll(async () => {
  await sink.close();
  await stack.stop();
});

/** What is wrong with an answer to a hostile request, or undefined when it is a proper 4xx problem. */
function verdict(res: { status: number; headers: Record<string, unknown>; json: any }): string | undefined {
  if (res.status < 400 || res.status > 499) return `status ${res.status}`;
  if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) return `content-type ${String(res.headers['content-type'])}`;
  if (res.json?.status !== res.status || typeof res.json?.title !== 'string') return 'not a problem body';
  return undefined;
}

const describeCase = (c: HostileCase) => `${c.kind}: ${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers['content-type'] ?? '')} ${c.body ? c.body.subarray(0, 160).toString('latin1') : ''}`;

describe('hostile input on every route of /openapi.json', () => {
  it('covers every operation of the document', () => {
    expect(operations.length).toBeGreaterThan(70);
  });

  for (const op of operations) {
    it(`${op.method} ${op.path}: 4xx problem+json, nothing written`, async () => {
      const own = (override?: (param: string) => string | undefined) => concretePath(op, tenant, override);
      const roleKeys = [tenant.keys.admin, tenant.keys.author, tenant.keys.user, tenant.keys.readOnly, tenant.keys.agent, tenant.keys.enrollment, stack.credentials.operatorKey];
      const first = keyFor(op, tenant.keys, stack.credentials.operatorKey);
      const cases = hostileCases({
        doc,
        op,
        path: own,
        body: validBody(op, { refs: tenant.ids, sinkUrl: sink.url, policyExport }),
        keys: [first, ...roleKeys.filter((k) => k !== first)],
      });
      const before = await table.state();
      const failures: string[] = [];
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          const kind = KINDS.find((k) => c.kind.startsWith(k)) ?? c.kind;
          sent.set(kind, (sent.get(kind) ?? 0) + 1);
          const res = await rawRequest(stack.apiUrl, { method: c.method, path: c.path, headers: c.headers, body: c.body });
          const wrong = verdict(res);
          if (wrong) failures.push(`${wrong} <- ${describeCase(c)} => ${res.text.slice(0, 200)}`);
          return wrong === undefined;
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      ).catch(() => undefined);
      await stack.drain();
      expect(failures).toEqual([]);
      expect(await table.state()).toEqual(before);
    });
  }

  it('a gzip node upload (decoded by its route, not the middleware) whose JSON is not UTF-8 or holds NUL: 400, nothing written', async () => {
    // The agent's pending on-demand scan (the seed requested one): nothing else of it changes.
    const scan = await stack.api('POST', '/v1/agent/scans', { key: tenant.keys.agent, body: { kind: 'on-demand' } });
    expect(scan.status).toBe(201);
    const afterScan = await table.state();
    const path = `/v1/agent/scans/${scan.json.id}/nodes`;
    const leaf = (name: Buffer) => Buffer.concat([Buffer.from(`{"policyId":"${tenant.ids.policy}","nodes":[{"level":0,"entries":[["/srv/hostile/`), name, Buffer.from('",{"type":"file","size":1,"inode":1,"mode":"0644","uid":0,"gid":0,"mtime":"2026-11-01T00:00:00.000Z","ctime":"2026-11-01T00:00:00.000Z"}]]}]}')]);
    for (const name of [Buffer.from([0x61, 0xff, 0x62]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('a\\u0000b')]) {
      const res = await rawRequest(stack.apiUrl, { method: 'POST', path, headers: { authorization: `Bearer ${tenant.keys.agent}`, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(leaf(name)) });
      expect(verdict(res), res.text).toBeUndefined();
      expect(res.status).toBe(400);
    }
    expect(await table.state()).toEqual(afterScan);
  });

  it('tried every kind of hostility, a few thousand cases in all', () => {
    for (const kind of KINDS) expect(sent.get(kind) ?? 0, kind).toBeGreaterThan(20);
    expect([...sent.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(2_500);
  });
});
