import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 10, item 8: docs/protocol.md said every limit answers 413 while the API answered 400 for counts.
 * The rule now: 413 for a body over a size limit, 400 (naming the list) for a request over a count limit.
 * This test reads the limits table of docs/protocol.md and sends one request just over each limit, so the
 * page and the API cannot drift apart again: a row without a request here, or the other way round, fails.
 */
let stack: TestStack;
let credential: string;
let scanId: string;
let policyId: string;

const HASH = 'A'.repeat(22);
const entry = (i: number) => [`/srv/app/f${String(i).padStart(5, '0')}`, { type: 'file', size: 1, mode: '0644', uid: 0, gid: 0, mtime: '2026-11-01T00:00:00.000Z', ctime: '2026-11-01T00:00:00.000Z', inode: i, hash: { algorithm: 'sha256', value: 'a'.repeat(64) } }];
const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** One request just over a limit of the table, by the limit's row name; `value` is the documented number. */
const overLimit: Record<string, (value: number) => Promise<Answer>> = {
  'JSON request body': (bytes) => post(`/v1/agent/scans/${scanId}/have`, json({ hashes: [HASH], pad: 'x'.repeat(bytes) })),
  '`nodes` request body, as sent': (bytes) => post(`/v1/agent/scans/${scanId}/nodes`, Buffer.alloc(bytes + 1, 0x20)),
  '`nodes` request body, decompressed (a gzip bomb stops here)': (bytes) => post(`/v1/agent/scans/${scanId}/nodes`, gzipSync(Buffer.alloc(bytes + 1, 0x20)), true),
  'nodes per `nodes` request': (n) => post(`/v1/agent/scans/${scanId}/nodes`, json({ policyId, nodes: times(n + 1, () => ({ level: 1, children: [HASH] })) })),
  'entries or children per node': (n) => post(`/v1/agent/scans/${scanId}/nodes`, json({ policyId, nodes: [{ level: 0, entries: times(n + 1, entry) }] })),
  'hashes per `have`': (n) => post(`/v1/agent/scans/${scanId}/have`, json({ hashes: times(n + 1, () => HASH) })),
  'results per `complete`': (n) => post(`/v1/agent/scans/${scanId}/complete`, json({ results: times(n + 1, (i) => ({ policyId: `pol_${i}`, root: HASH, filesScanned: 1 })) })),
};

interface Answer {
  status: number;
  type: string;
  json: { errors?: { path: string }[] };
  text: string;
}

/**
 * A POST as the agent, on a connection of its own: a server that answers 413 before reading a large body
 * closes the connection, and a shared keep-alive connection would fail the next request of the test.
 */
function post(path: string, body: Buffer, gzip = false): Promise<Answer> {
  const headers = { authorization: `Bearer ${credential}`, 'content-type': 'application/json', 'content-length': String(body.length), ...(gzip ? { 'content-encoding': 'gzip' } : {}) };
  return new Promise((resolve, reject) => {
    const req = request(`${stack.apiUrl}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), json: JSON.parse(text || '{}'), text });
      });
    });
    // The server may stop reading once it has answered: that is not a failure of the request.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    req.end(body);
  });
}

/** The rows of the limits table in docs/protocol.md: name, value (bytes or a count), documented answer. */
function documentedLimits() {
  const page = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const table = page.slice(page.indexOf('| limit | value | over it |'));
  const rows = table.split('\n').slice(2).map((line) => line.trim()).filter((line) => line.startsWith('|'));
  const end = table.split('\n').slice(2).findIndex((line) => !line.trim().startsWith('|'));
  return rows.slice(0, end).map((line) => {
    const [name, value, answer] = line.split('|').slice(1, -1).map((cell) => cell.trim()) as [string, string, string];
    const [, number, unit] = /^([\d,]+)\s*(KiB|MiB)?$/.exec(value)!;
    const scale = unit === 'KiB' ? 1024 : unit === 'MiB' ? 1024 * 1024 : 1;
    const [status, path] = answer.split(/\s+/);
    return { name, value: Number(number!.replace(/,/g, '')) * scale, status: Number(status), path: path?.replace(/`/g, '') };
  });
}

beforeAll(async () => {
  stack = await startTestStack();
  const admin = stack.credentials.adminKey;
  policyId = (await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'limits', platform: 'linux', targets: [{ path: '/srv/app' }] } })).json.id;
  await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'limits', tag: 'limits', policyIds: [policyId] } });
  const enrolled = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname: 'limits-1', platform: 'linux', agentVersion: '1.0.0', tag: 'limits' } });
  credential = enrolled.json.credential;
  scanId = (await stack.api('POST', '/v1/agent/scans', { key: credential, body: { kind: 'on-demand' } })).json.id;
});
afterAll(() => stack?.stop());

describe('the limits docs/protocol.md documents are the limits the API applies', () => {
  const limits = documentedLimits();

  it('every documented limit has a request here and every request a documented limit', () => {
    expect(limits.map((l) => l.name).sort()).toEqual(Object.keys(overLimit).sort());
  });

  it('one request just over each limit gets the documented answer: 413 for sizes, 400 naming the list for counts', async () => {
    for (const limit of limits) {
      const res = await overLimit[limit.name]!(limit.value);
      expect(res.status, `${limit.name}: ${res.text.slice(0, 300)}`).toBe(limit.status);
      expect(res.type, limit.name).toMatch(/problem\+json/);
      if (limit.path) expect(res.json.errors?.[0]?.path, limit.name).toMatch(new RegExp(`^${limit.path.replace('N...', '\\d+(\\.|$)')}`));
    }
    // Nothing of it was taken: the scan was not even started.
    expect((await stack.api('GET', `/v1/scans/${scanId}`, { key: stack.credentials.adminKey })).json.status).toBe('pending');
  });
});
