import { describe, expect, it } from 'vitest';
import { NodesRequestSchema } from '../../functions/contract/agent.schemas.ts';
import type { PathEntry } from '../../functions/contract/entry.ts';
import { buildTree, isLeaf, type Tree, type TreeNode } from '../../functions/contract/tree.ts';
import { HAVE_BATCH, packNodes, planKnown, planUpload, type HaveFn } from '../../agent/sync.ts';

function entries(count: number, change?: { index: number; size: number }): PathEntry[] {
  const list: PathEntry[] = [];
  for (let i = 0; i < count; i++) {
    list.push([
      `/srv/data/dir${String(i % 97).padStart(3, '0')}/file${String(i).padStart(6, '0')}.txt`,
      {
        type: 'file',
        size: change?.index === i ? change.size : i,
        mode: '0644',
        uid: 0,
        gid: 0,
        mtime: '2025-01-01T00:00:00.000Z',
        ctime: '2025-01-01T00:00:00.000Z',
        inode: 1000 + i,
        hash: { algorithm: 'sha256', value: 'ab'.repeat(32) },
      },
    ]);
  }
  return list.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** A pretend server: holds nodes by hash, stores an inner node only when all its children exist. */
class FakeServer {
  readonly held = new Set<string>();
  readonly haveCalls: string[][] = [];
  have: HaveFn = async (hashes) => {
    expect(hashes.length).toBeLessThanOrEqual(HAVE_BATCH);
    this.haveCalls.push(hashes);
    return hashes.filter((h) => !this.held.has(h));
  };
  upload(nodes: TreeNode[]): void {
    for (const node of nodes) {
      if (!isLeaf(node)) expect(node.children.every((c) => this.held.has(c)), `children of ${node.hash} uploaded first`).toBe(true);
      this.held.add(node.hash);
    }
  }
  holdAll(tree: Tree): void {
    for (const hash of tree.nodes.keys()) this.held.add(hash);
  }
}

describe('planUpload', () => {
  it('uploads a whole new tree bottom-up, root last', async () => {
    const tree = buildTree(entries(5000));
    const server = new FakeServer();
    const plan = await planUpload(tree, server.have, { rootMissing: true });
    expect(plan).toHaveLength(tree.nodes.size);
    expect(plan[plan.length - 1]!.hash).toBe(tree.root);
    for (let i = 1; i < plan.length; i++) expect(plan[i]!.level).toBeGreaterThanOrEqual(plan[i - 1]!.level);
    server.upload(plan);
    expect(server.held.has(tree.root)).toBe(true);
    // The root was known missing: its level was never asked about.
    expect(server.haveCalls.flat()).not.toContain(tree.root);
  });

  it('sends only the path from a changed leaf up to the root', async () => {
    const before = buildTree(entries(5000));
    const after = buildTree(entries(5000, { index: 1234, size: 99_999 }));
    const server = new FakeServer();
    server.holdAll(before);
    const plan = await planUpload(after, server.have, { rootMissing: true });
    const root = after.nodes.get(after.root)!;
    expect(plan).toHaveLength(root.level + 1);
    expect(plan.map((n) => n.level)).toEqual(Array.from({ length: root.level + 1 }, (_, i) => i));
    const leaf = plan[0]!;
    expect(isLeaf(leaf) && leaf.entries.some(([, e]) => e.size === 99_999)).toBe(true);
    // One `have` round trip per level below the root.
    expect(server.haveCalls).toHaveLength(root.level);
    server.upload(plan);
    expect(server.held.has(after.root)).toBe(true);
  });

  it('asks about the root itself when not told it is missing, and plans nothing when it is held', async () => {
    const tree = buildTree(entries(300));
    const server = new FakeServer();
    server.holdAll(tree);
    expect(await planUpload(tree, server.have)).toEqual([]);
    expect(server.haveCalls).toEqual([[tree.root]]);
  });

  it('handles a tree that is a single leaf (and an empty one)', async () => {
    for (const tree of [buildTree(entries(1)), buildTree([])]) {
      const server = new FakeServer();
      const plan = await planUpload(tree, server.have, { rootMissing: true });
      expect(plan.map((n) => n.hash)).toEqual([tree.root]);
      expect(server.haveCalls).toEqual([]);
    }
  });

  it('splits `have` into batches the API accepts', async () => {
    const tree = buildTree(entries(60_000));
    const server = new FakeServer();
    const plan = await planUpload(tree, server.have, { rootMissing: true });
    expect(plan).toHaveLength(tree.nodes.size);
    expect(server.haveCalls.some((c) => c.length === HAVE_BATCH)).toBe(true);
  });

  it('ignores hashes the server names that are not in the tree', async () => {
    const tree = buildTree(entries(500));
    const plan = await planUpload(tree, async (hashes) => [...hashes, 'AAAAAAAAAAAAAAAAAAAAAA'], { rootMissing: true });
    expect(plan).toHaveLength(tree.nodes.size);
  });
});

/** Entries with a few files modified, added and removed, spread over the whole tree. */
function changed(count: number): PathEntry[] {
  const list = entries(count).filter((_, i) => i % 997 !== 5);
  for (let i = 0; i < list.length; i += 613) list[i] = [list[i]![0], { ...list[i]![1], size: 123_456 }];
  for (let k = 0; k < 5; k++) list.push([`/srv/data/dir${String(k * 19).padStart(3, '0')}/new${k}.txt`, { ...list[0]![1], inode: 9_000_000 + k }]);
  return list.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe('planKnown', () => {
  it('uploads exactly the nodes outside the accepted tree, bottom-up, and the server can store them in order', async () => {
    const before = buildTree(entries(20_000));
    const after = buildTree(changed(20_000));
    const plan = planKnown(after, new Set(before.nodes.keys()));
    // The same nodes the `have` sync finds against a server holding the accepted tree, without asking.
    const server = new FakeServer();
    server.holdAll(before);
    const viaHave = await planUpload(after, server.have, { rootMissing: true });
    const hashes = plan.map((n) => n.hash);
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(new Set(hashes)).toEqual(new Set(viaHave.map((n) => n.hash)));
    expect(new Set(hashes)).toEqual(new Set([...after.nodes.keys()].filter((h) => !before.nodes.has(h))));
    for (let i = 1; i < plan.length; i++) expect(plan[i]!.level).toBeGreaterThanOrEqual(plan[i - 1]!.level);
    expect(plan[plan.length - 1]!.hash).toBe(after.root);
    expect(plan.length).toBeLessThan(after.nodes.size / 5);
    server.upload(plan);
    expect(server.held.has(after.root)).toBe(true);
  });

  it('keeps leaves in path order, so neighbouring entries compress together', () => {
    const before = buildTree(entries(5000));
    const after = buildTree(changed(5000));
    const firstPaths = planKnown(after, new Set(before.nodes.keys()))
      .filter(isLeaf)
      .map((leaf) => leaf.entries[0]![0]);
    expect(firstPaths).toEqual([...firstPaths].sort());
  });

  it('plans the whole tree with an empty memory, and nothing when the root is remembered', () => {
    const tree = buildTree(entries(3000));
    const all = planKnown(tree, new Set());
    expect(all).toHaveLength(tree.nodes.size);
    expect(all[all.length - 1]!.hash).toBe(tree.root);
    expect(planKnown(tree, new Set([tree.root]))).toEqual([]);
  });

  it('stops at any remembered node: its subtree is not uploaded even if the rest was never seen', () => {
    const tree = buildTree(entries(3000));
    const root = tree.nodes.get(tree.root)!;
    expect(isLeaf(root)).toBe(false);
    const [first] = (root as { children: string[] }).children;
    const plan = planKnown(tree, new Set([first!]));
    const under = new Set<string>();
    const walk = (hash: string) => {
      under.add(hash);
      const node = tree.nodes.get(hash)!;
      if (!isLeaf(node)) node.children.forEach(walk);
    };
    walk(first!);
    expect(plan.some((n) => under.has(n.hash))).toBe(false);
    expect(plan).toHaveLength(tree.nodes.size - under.size);
  });
});

describe('packNodes', () => {
  it('keeps requests within the node and byte limits, in upload order, valid on the wire', async () => {
    const tree = buildTree(entries(5000));
    const plan = await planUpload(tree, async (h) => h, { rootMissing: true });
    const bodies = packNodes('pol-1', plan, { maxNodes: 100, maxBytes: 64 * 1024 });
    expect(bodies.length).toBeGreaterThan(1);
    const levels: number[] = [];
    for (const body of bodies) {
      expect(body.length).toBeLessThanOrEqual(64 * 1024);
      const parsed = NodesRequestSchema.parse(JSON.parse(body));
      expect(parsed.policyId).toBe('pol-1');
      expect(parsed.nodes.length).toBeLessThanOrEqual(100);
      levels.push(...parsed.nodes.map((n) => n.level));
    }
    expect(levels).toHaveLength(plan.length);
    expect(levels).toEqual(plan.map((n) => n.level));
  });

  it('sends a node bigger than the byte limit on its own', () => {
    const tree = buildTree(entries(10));
    const bodies = packNodes('p', [...tree.nodes.values()], { maxNodes: 4000, maxBytes: 10 });
    expect(bodies).toHaveLength(tree.nodes.size);
  });
});
