import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import type { PathEntry } from '../../functions/contract/entry.ts';
import { buildTree, innerHash, leafHash, sortEntries } from '../../functions/contract/tree.ts';
import { batchPut } from '../../functions/store/batch.ts';
import { keys } from '../../functions/store/keys.ts';
import { loadNodes, nodeSummaries, storeNodes } from '../../functions/store/nodes.ts';
import { advanceScanState } from '../../functions/store/scan-state.ts';
import { differingEntries } from '../../functions/store/tree-diff.ts';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../../functions/shared/clients.ts';
import { completeOverWire, enrollOverWire, openScanOverWire, postNodesOverWire, uploadOverWire, wireEntry, wireFile, type WireAgent } from '../helpers/wire-scan.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * What the server checks in every uploaded node (issue 10, items 1-3), over real HTTP with a real
 * agent credential: a stored node is never replaced, no raw control character and no dot segment
 * gets in, and a tree must have the shape the agent builds, so it cannot stand for more entries
 * than it holds. Each refusal is a 400 naming the node, with nothing stored.
 */
let stack: TestStack;
let tenantId: string;
let policyId: string;
let agent: WireAgent;
let scanId: string;

const files = (from: number, n: number, dir = '/srv/app/d'): PathEntry[] =>
  sortEntries(Array.from({ length: n }, (_, i): PathEntry => [`${dir}${String(from + i).padStart(5, '0')}`, wireFile(`c${from + i}`, from + i)]));

/** Tree nodes in the table (the test stack's table holds this file's data only). */
async function storedNodeCount(): Promise<number> {
  const { doc, table } = getDb();
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: table, FilterExpression: 'sk = :n', ExpressionAttributeValues: { ':n': 'NODE' }, ExclusiveStartKey: start }));
    count += out.Items?.length ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

beforeAll(async () => {
  stack = await startTestStack();
  tenantId = stack.credentials.tenantId;
  const admin = stack.credentials.adminKey;
  policyId = (await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'checks', platform: 'linux', targets: [{ path: '/srv/app' }] } })).json.id;
  await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'checks', tag: 'checks', policyIds: [policyId] } });
  agent = await enrollOverWire(stack.api, stack.credentials.enrollmentKey, 'checks-1', 'checks');
  scanId = await openScanOverWire(stack.api, agent);
});
afterAll(() => stack?.stop());

/** Posts `nodes`; expects a 400 naming node `index` and nothing stored. */
async function refused(nodes: unknown[], index: number, message: RegExp, scan = scanId) {
  const before = await storedNodeCount();
  const res = await postNodesOverWire(stack.api, agent, scan, policyId, nodes);
  expect(res.status, res.text).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(res.json.errors[0].path).toMatch(new RegExp(`^nodes\\.${index}(\\.|$)`));
  expect(res.json.errors[0].message).toMatch(message);
  expect(await storedNodeCount()).toBe(before);
}

describe('item 1: a content-addressed node is never replaced, and no raw control character gets in', () => {
  it('storing a node under the hash of one already stored keeps the stored one', async () => {
    const original = files(0, 3);
    const res = await postNodesOverWire(stack.api, agent, scanId, policyId, [{ level: 0, entries: original }]);
    expect(res.status, res.text).toBe(200);
    const hash = leafHash(original);
    expect(res.json.stored).toEqual([hash]);
    // As if another upload came with different content under that hash: the store keeps what it has.
    const forged: PathEntry[] = [[original[0]![0], wireFile('forged', 999)]];
    await storeNodes(tenantId, [{ level: 0, hash, entries: forged, summary: { level: 0, count: 1, first: forged[0]![0], last: forged[0]![0] } }]);
    expect((await loadNodes(tenantId, [hash])).get(hash)).toEqual({ level: 0, hash, entries: original });
  });

  it('a raw control character in a linkTarget or a path is a 400 naming the node', async () => {
    const link: PathEntry = ['/srv/app/link', wireEntry({ type: 'symlink', size: 6, inode: 5, linkTarget: 'target\nsmuggled' })];
    await refused([{ level: 0, entries: files(100, 2) }, { level: 0, entries: [link] }], 1, /linkTarget of "\/srv\/app\/link" contains a raw control character/);
    await refused([{ level: 0, entries: [['/srv/app/bell\u0007', wireFile('bell', 6)]] }], 0, /raw control character/);
    await refused([{ level: 0, entries: [['/srv/app/c1\u0085', wireFile('c1', 7)]] }], 0, /raw control character/);
    // Escaped as the wire-path convention says, the same names are fine.
    const escaped = await postNodesOverWire(stack.api, agent, scanId, policyId, [{ level: 0, entries: [['/srv/app/bell\\x07', wireFile('bell', 6)], ['/srv/app/link', { ...link[1], linkTarget: 'target\\x0asmuggled' }]] }]);
    expect(escaped.status, escaped.text).toBe(200);
  });
});

describe('item 2: a tree has the shape the agent builds, so it cannot amplify', () => {
  const a = files(200, 10);
  const b = files(300, 10);
  beforeAll(async () => {
    expect((await postNodesOverWire(stack.api, agent, scanId, policyId, [{ level: 0, entries: a }, { level: 0, entries: b }])).status).toBe(200);
  });

  it('a child listed twice, children out of order, a child not exactly one level below: 400, scan not started', async () => {
    const [ha, hb] = [leafHash(a), leafHash(b)];
    const fresh = await openScanOverWire(stack.api, agent);
    await refused([{ level: 1, children: Array(128).fill(ha) }], 0, /repeated or out of order/, fresh);
    await refused([{ level: 1, children: [ha, ha] }], 0, /repeated or out of order/, fresh);
    await refused([{ level: 1, children: [hb, ha] }], 0, /repeated or out of order/, fresh);
    await refused([{ level: 2, children: [ha] }], 0, /level 0, not 1/, fresh);
    // The same, with the bad child in the same request.
    await refused([{ level: 0, entries: files(400, 3) }, { level: 2, children: [leafHash(files(400, 3))] }], 1, /one level below|level 0, not 1/, fresh);
    // Nothing was accepted, so the scan did not start: it cannot be left running by an ingest that fails.
    expect((await stack.api('GET', `/v1/scans/${fresh}`, { key: stack.credentials.adminKey })).json.status).toBe('pending');
  });

  it('each stored node carries the entry count of its subtree, known before anything is expanded', async () => {
    const tree = buildTree([...a, ...b]);
    const res = await postNodesOverWire(stack.api, agent, scanId, policyId, [{ level: 1, children: [leafHash(a), leafHash(b)] }]);
    expect(res.status, res.text).toBe(200);
    const parent = innerHash(1, [leafHash(a), leafHash(b)]);
    expect((await nodeSummaries(tenantId, [parent, leafHash(a)])).get(parent)).toEqual({ level: 1, count: 20, first: a[0]![0], last: b[9]![0] });
    expect(tree.entryCount).toBe(20);
  });

  it('a tree stored before these checks, however amplified, is diffed (and shown as drift) opening each node once', async () => {
    // What an attacker could store before the fix: a 128-entry leaf, then three levels of 128 copies
    // each, written the way nodes were written then (no summary). 268 million entries if expanded.
    const leaf = files(1000, 128, '/srv/app/amp/f');
    const legacy = (level: number, payload: unknown) => {
      const hash = level === 0 ? `legacyleaf0000000000${level}x` : `legacyinner000000000${level}x`;
      return { hash, item: { ...keys.node(tenantId, hash), level, data: gzipSync(JSON.stringify(payload)) } };
    };
    const l0 = legacy(0, leaf);
    const l1 = legacy(1, Array(128).fill(l0.hash));
    const l2 = legacy(2, Array(128).fill(l1.hash));
    const l3 = legacy(3, Array(128).fill(l2.hash));
    await batchPut([l0.item, l1.item, l2.item, l3.item]);

    const { after } = await differingEntries(tenantId, null, l3.hash);
    expect(after).toEqual(leaf);

    // The drift of a server whose current tree is that one, against an honest baseline of one file.
    const victim = await enrollOverWire(stack.api, stack.credentials.enrollmentKey, 'checks-drift', 'checks');
    const baseline = files(5000, 1);
    const upload = await uploadOverWire(stack.api, victim, policyId, baseline);
    expect((await completeOverWire(stack.api, victim, policyId, upload, baseline.length)).status).toBe(200);
    await stack.drain();
    await advanceScanState(tenantId, {
      serverId: victim.serverId,
      policyId,
      root: l3.hash,
      baselineRoot: upload.root,
      targets: [{ id: 't', path: '/srv/app', recursive: true, include: [], exclude: [], attributes: ['content'], critical: false, alert: true }] as never,
      lastScanId: 'scn_legacy',
      lastStats: { added: 0, modified: 0, removed: 0, renamed: 0 },
      updatedAt: new Date().toISOString(),
    }, (await stack.api('GET', `/v1/scans?serverId=${victim.serverId}`, { key: stack.credentials.adminKey })).json.items[0].id);
    const drift = await stack.api('GET', `/v1/servers/${victim.serverId}/drift`, { key: stack.credentials.adminKey });
    expect(drift.status, drift.text).toBe(200);
    expect(drift.json.items.filter((i: { changeType: string }) => i.changeType === 'added')).toHaveLength(128);
  });
});

describe('item 3: dot segments, empty segments and control characters in uploaded paths', () => {
  it('an entry climbing out of its target with .. is a 400 naming the node, nothing stored', async () => {
    const dir: PathEntry = ['/srv/app', wireEntry({ type: 'directory', size: 4096, inode: 1 })];
    await refused([{ level: 0, entries: [dir, ['/srv/app/../../etc/shadow', wireFile('x', 2)]] }], 0, /"\/srv\/app\/\.\.\/\.\.\/etc\/shadow" has a \. or \.\. segment/);
    await refused([{ level: 0, entries: files(600, 2) }, { level: 0, entries: [['/srv/app/./x', wireFile('x', 3)]] }], 1, /\. or \.\. segment/);
    await refused([{ level: 0, entries: [['/srv/app//x', wireFile('x', 4)]] }], 0, /empty segment/);
    await refused([{ level: 0, entries: [['/srv/app/x/', wireFile('x', 4)]] }], 0, /empty segment/);
  });
});
