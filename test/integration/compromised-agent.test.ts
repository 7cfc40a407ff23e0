import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PathEntry } from '../../functions/contract/entry.ts';
import { buildTree, innerHash, isLeaf, leafHash, sortEntries, type LeafNode } from '../../functions/contract/tree.ts';
import { loadNodes } from '../../functions/store/nodes.ts';
import { oldCanonical, oldLeafHash } from '../helpers/old-canonical.ts';
import { completeOverWire, enrollOverWire, openScanOverWire, postNodesOverWire, uploadOverWire, wireFile, type WireAgent } from '../helpers/wire-scan.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * docs/security.md, "A compromised agent host": the worst it can do is report wrong data about its own
 * server. Here one agent of a tenant, with its real credential and raw HTTP, runs the two attacks of
 * issue 10 that reached other servers (a leaf-hash collision that replaced another server's stored
 * node, and a tree listing the same subtree over and over), and a second server of the same tenant,
 * scanned before and after, keeps exactly the events its own files give.
 */
let stack: TestStack;
let admin: string;
let policyId: string;
let victim: WireAgent;
let attacker: WireAgent;

const baseline: PathEntry[] = sortEntries(Array.from({ length: 60 }, (_, i): PathEntry => [`/srv/app/conf/f${String(i).padStart(3, '0')}`, wireFile(`v${i}`, 10 + i)]));

/** An honest scan of `entries`: every node, complete, ingested. */
async function honestScan(agent: WireAgent, entries: PathEntry[]): Promise<string> {
  const upload = await uploadOverWire(stack.api, agent, policyId, entries);
  const done = await completeOverWire(stack.api, agent, policyId, upload, entries.length);
  expect(done.status, done.text).toBe(200);
  await stack.drain();
  return upload.scanId;
}

const eventsOf = async (serverId: string) =>
  (await stack.api('GET', `/v1/events?serverId=${serverId}&limit=500`, { key: admin })).json.items as { changeType: string; path: string; before: unknown; after: unknown; changedAttributes: string[] }[];

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  policyId = (await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'fleet', platform: 'linux', targets: [{ path: '/srv/app' }] } })).json.id;
  await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'fleet', tag: 'fleet', policyIds: [policyId] } });
  victim = await enrollOverWire(stack.api, stack.credentials.enrollmentKey, 'victim', 'fleet');
  attacker = await enrollOverWire(stack.api, stack.credentials.enrollmentKey, 'attacker', 'fleet');
});
afterAll(() => stack?.stop());

describe('a compromised agent cannot change what another server of its tenant records', () => {
  it('leaf collision and tree amplification from one agent; the other server keeps correct events', async () => {
    await honestScan(victim, baseline);
    const tree = buildTree(baseline);
    // The smallest leaf of two entries or more: its text fits in one linkTarget (4096 characters).
    const target = [...tree.nodes.values()].filter((n): n is LeafNode => isLeaf(n) && n.entries.length >= 2).sort((a, b) => a.entries.length - b.entries.length)[0]!;
    const before = (await loadNodes(stack.credentials.tenantId, [target.hash])).get(target.hash);
    expect(before).toEqual(target);

    // 1. The collision: one entry whose linkTarget carries the rest of the victim's leaf. Under the old
    //    canonical form it had the victim leaf's hash, and the upload replaced the victim's node.
    const [[path, first], ...rest] = target.entries;
    const forged: PathEntry[] = [[path, { ...first!, linkTarget: `${first!.linkTarget ?? ''}\n${rest.map(oldCanonical).join('\n')}` }]];
    expect(oldLeafHash(forged)).toBe(oldLeafHash(target.entries));
    const attackScan = await openScanOverWire(stack.api, attacker);
    const collision = await postNodesOverWire(stack.api, attacker, attackScan, policyId, [{ level: 0, entries: forged }]);
    expect(collision.status, collision.text).toBe(400);
    expect(leafHash(forged)).not.toBe(target.hash);
    expect((await loadNodes(stack.credentials.tenantId, [target.hash])).get(target.hash)).toEqual(target);

    // 2. The amplification: a 128-entry leaf, a level-1 node of 128 copies of it, a level-2 node of 128
    //    copies of that, a root of 6: 12.6 million entries for the ingest and the drift to expand.
    const leaf = sortEntries(Array.from({ length: 128 }, (_, i): PathEntry => [`/srv/app/amp/f${String(i).padStart(3, '0')}`, wireFile(`a${i}`, 1000 + i)]));
    const l0 = leafHash(leaf);
    expect((await postNodesOverWire(stack.api, attacker, attackScan, policyId, [{ level: 0, entries: leaf }])).status).toBe(200);
    const l1 = { level: 1, children: Array(128).fill(l0) };
    const l2 = { level: 2, children: Array(128).fill(innerHash(1, l1.children)) };
    const root = { level: 3, children: Array(6).fill(innerHash(2, l2.children)) };
    for (const upload of [[l1], [l1, l2], [l1, l2, root]]) {
      const res = await postNodesOverWire(stack.api, attacker, attackScan, policyId, upload);
      expect(res.status, res.text).toBe(400);
    }
    const complete = await completeOverWire(stack.api, attacker, policyId, { scanId: attackScan, root: innerHash(3, root.children) }, 12_582_912);
    expect(complete.status).toBe(409);

    // The victim's next scan: its second file of that leaf changed, one file added elsewhere.
    const changedPath = target.entries[1]![0];
    const next = sortEntries(baseline.map(([p, e]): PathEntry => (p === changedPath ? [p, { ...e, size: e.size + 1, hash: { algorithm: 'sha256', value: 'f'.repeat(64) } }] : [p, e])).concat([['/srv/app/conf/new', wireFile('new', 5000)]]));
    const rescan = await honestScan(victim, next);
    const events = await eventsOf(victim.serverId);
    expect(events.map((e) => `${e.changeType} ${e.path}`).sort()).toEqual(['added /srv/app/conf/new', `modified ${changedPath}`]);
    const modified = events.find((e) => e.changeType === 'modified')!;
    expect(modified.before).toEqual(target.entries[1]![1]);
    expect(modified.changedAttributes).toEqual(['content', 'size']);
    expect((await stack.api('GET', `/v1/scans/${rescan}`, { key: admin })).json).toMatchObject({ status: 'completed', stats: { added: 1, modified: 1, removed: 0, renamed: 0 } });

    // The attacker's own scan was never started by what it sent, and it has no events.
    expect((await stack.api('GET', `/v1/scans/${attackScan}`, { key: admin })).json.status).not.toBe('completed');
    expect(await eventsOf(attacker.serverId)).toEqual([]);
  });
});
