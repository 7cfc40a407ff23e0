import { describe, expect, it } from 'vitest';
import { NodesRequestSchema } from '../../functions/contract/agent.schemas.ts';
import type { Entry, PathEntry } from '../../functions/contract/entry.ts';
import { buildTree, innerHash, isLeaf, leafHash, type InnerNode, type LeafNode, type Tree, type TreeNode } from '../../functions/contract/tree.ts';
import { applyChildEdits, applyLeafDelta, type InnerDelta, type LeafDelta } from '../../functions/contract/tree-delta.ts';
import { DeltaEncoder, encodeAgainst, isDelta, toWire, type WireNode } from '../../agent/delta.ts';
import { packNodes, planKnown } from '../../agent/sync.ts';

const path = (dir: number, file: number) => `/srv/data/dir${String(dir).padStart(3, '0')}/file${String(file).padStart(4, '0')}.bin`;
const entry = (i: number, size = i): Entry => ({
  type: 'file',
  size,
  mode: '0644',
  uid: 0,
  gid: 0,
  mtime: '2025-01-01T00:00:00.000Z',
  ctime: '2025-01-01T00:00:00.000Z',
  inode: 1000 + i,
  hash: { algorithm: 'sha256', value: i.toString(16).padStart(64, '0') },
});
const byPath = (a: PathEntry, b: PathEntry) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** 100 directories x `perDir` files. */
function files(perDir = 200): Map<string, Entry> {
  const map = new Map<string, Entry>();
  for (let d = 0; d < 100; d++) for (let f = 0; f < perDir; f++) map.set(path(d, f), entry(d * perDir + f));
  return map;
}
const treeOf = (map: Map<string, Entry>): Tree => buildTree([...map.entries()].sort(byPath));

/** 10 modified, 5 added, 5 removed, in 20 directories. */
function spreadChange(map: Map<string, Entry>): Map<string, Entry> {
  const next = new Map(map);
  for (let k = 0; k < 10; k++) next.set(path(k * 5, 17 + k), entry(k * 5 * 200 + 17 + k, 999_999));
  for (let k = 0; k < 5; k++) next.set(`/srv/data/dir${String(52 + k * 5).padStart(3, '0')}/new${k}.bin`, entry(900_000 + k));
  for (let k = 0; k < 5; k++) next.delete(path(77 + k * 5, 100));
  return next;
}

/** What the server does with an upload: expand each node against what it holds, recompute the hash. */
function serverApply(held: Map<string, TreeNode>, wires: readonly WireNode[]): TreeNode[] {
  return wires.map((wire) => {
    let node: TreeNode;
    if ('entries' in wire) node = { level: 0, hash: leafHash(wire.entries), entries: wire.entries };
    else if ('children' in wire) node = { level: wire.level, hash: innerHash(wire.level, wire.children), children: wire.children };
    else {
      const base = held.get(wire.base);
      expect(base, `base ${wire.base} held`).toBeDefined();
      expect(base!.level).toBe(wire.level);
      if ('put' in wire) {
        const entries = applyLeafDelta((base as LeafNode).entries, wire);
        node = { level: 0, hash: leafHash(entries), entries };
      } else {
        const children = applyChildEdits((base as InnerNode).children, (wire as InnerDelta).edits);
        node = { level: wire.level, hash: innerHash(wire.level, children), children };
      }
    }
    held.set(node.hash, node);
    return node;
  });
}

const jsonLength = (value: unknown) => JSON.stringify(value).length;

describe('encodeAgainst', () => {
  it('sends a spread change as deltas the server expands into exactly the new nodes, at a fraction of the size', () => {
    const before = files();
    const previous = treeOf(before);
    const next = treeOf(spreadChange(before));
    const plan = planKnown(next, previous.nodes);
    const wires = encodeAgainst(previous, plan);
    expect(wires).toHaveLength(plan.length);

    const held = new Map(previous.nodes);
    const rebuilt = serverApply(held, wires);
    expect(rebuilt.map((n) => n.hash)).toEqual(plan.map((n) => n.hash));
    expect(held.has(next.root)).toBe(true);

    // Every leaf and every parent of leaves is a delta. Nearer the root a node has several changed
    // children, and goes whole where that is shorter (checked below).
    expect(wires.filter((w) => w.level <= 1).every(isDelta)).toBe(true);
    expect(wires.filter((w) => !isDelta(w)).every((w) => w.level >= 2)).toBe(true);
    const whole = plan.reduce((sum, n) => sum + jsonLength(toWire(n)), 0);
    const sent = wires.reduce((sum, w) => sum + jsonLength(w), 0);
    expect(sent).toBeLessThan(whole / 8);
    // Never longer than the node itself.
    wires.forEach((w, i) => expect(jsonLength(w)).toBeLessThanOrEqual(jsonLength(toWire(plan[i]!))));

    // What the API accepts.
    for (const body of packNodes('pol_1', wires)) expect(NodesRequestSchema.safeParse(JSON.parse(body)).success).toBe(true);
  });

  it('plans nothing and encodes nothing for an unchanged tree', () => {
    const tree = treeOf(files(20));
    expect(encodeAgainst(tree, planKnown(tree, tree.nodes))).toEqual([]);
  });
});

describe('DeltaEncoder: leaves', () => {
  const before = files(50);
  const previous = treeOf(before);
  const oldLeafOf = (p: string) => [...previous.nodes.values()].find((n): n is LeafNode => isLeaf(n) && n.entries.some(([q]) => q === p))!;

  it('bases a modified leaf on the old leaf that held its paths and puts only the changed entry', () => {
    const changed = path(30, 7);
    const next = treeOf(new Map(before).set(changed, entry(1, 123)));
    const [leaf] = planKnown(next, previous.nodes) as LeafNode[];
    const encoder = new DeltaEncoder(previous);
    expect(encoder.leafCandidates(leaf!)).toEqual([oldLeafOf(changed).hash]);
    const wire = encoder.encode(leaf!) as LeafDelta;
    expect(wire).toEqual({ level: 0, base: oldLeafOf(changed).hash, remove: [], put: [[changed, entry(1, 123)]] });
    expect(encoder.baseOf(leaf!.hash)).toBe(oldLeafOf(changed).hash);
  });

  it('names removed paths, and puts added ones', () => {
    const gone = path(12, 3);
    const added = `${path(12, 3)}.new`;
    const map = new Map(before);
    map.delete(gone);
    map.set(added, entry(5));
    const next = treeOf(map);
    const wires = encodeAgainst(previous, planKnown(next, previous.nodes));
    const leafDeltas = wires.filter((w): w is LeafDelta => w.level === 0 && isDelta(w));
    expect(leafDeltas.flatMap((d) => d.remove)).toEqual([gone]);
    expect(leafDeltas.flatMap((d) => d.put.map(([p]) => p))).toEqual([added]);
  });

  it('bases a leaf of only new paths on the old leaf whose range would have held its first path', () => {
    const encoder = new DeltaEncoder(previous);
    const leaves = planKnown(previous, new Set()).filter(isLeaf);
    const target = leaves[Math.floor(leaves.length / 2)]!;
    const fresh = `${target.entries[0]![0]}~new`;
    const leaf: LeafNode = { level: 0, hash: 'new-leaf', entries: [[fresh, entry(7)]] };
    expect(encoder.leafCandidates(leaf)).toEqual([target.hash]);
    // Past the last path: the last leaf.
    const last: LeafNode = { level: 0, hash: 'new-last', entries: [['/srv/zzz', entry(8)]] };
    expect(encoder.leafCandidates(last)).toEqual([leaves[leaves.length - 1]!.hash]);
  });

  it('sends a leaf whole when a delta would not be shorter (every entry changed)', () => {
    const leaves = planKnown(previous, new Set()).filter(isLeaf);
    const old = leaves[Math.floor(leaves.length / 3)]!;
    const map = new Map(before);
    for (const [p, e] of old.entries) map.set(p, { ...e, mtime: '2025-06-01T00:00:00.000Z' });
    const next = treeOf(map);
    const plan = planKnown(next, previous.nodes);
    const wires = encodeAgainst(previous, plan);
    // Leaf boundaries depend on paths only: the same paths make one new leaf, every entry changed.
    const i = plan.findIndex((n) => isLeaf(n) && n.entries.map(([p]) => p).join() === old.entries.map(([p]) => p).join());
    expect(i).toBeGreaterThanOrEqual(0);
    expect(wires[i]).toEqual(toWire(plan[i]!));
    serverApply(new Map(previous.nodes), wires);
  });
});

describe('DeltaEncoder: inner nodes', () => {
  const before = files(50);
  const previous = treeOf(before);

  it('bases a parent on the old parent of its changed child, as one splice', () => {
    const changed = path(60, 9);
    const next = treeOf(new Map(before).set(changed, entry(2, 77)));
    const plan = planKnown(next, previous.nodes);
    const encoder = new DeltaEncoder(previous);
    const [leaf, parent] = plan as [LeafNode, InnerNode];
    encoder.encode(leaf);
    const oldLeaf = encoder.baseOf(leaf.hash)!;
    const oldParent = [...previous.nodes.values()].find((n): n is InnerNode => !isLeaf(n) && n.children.includes(oldLeaf))!;
    expect(encoder.innerCandidates(parent)).toEqual([oldParent.hash]);
    const index = oldParent.children.indexOf(oldLeaf);
    expect(encoder.encode(parent)).toEqual({ level: 1, base: oldParent.hash, edits: [[index, 1, [leaf.hash]]] });
  });

  it('finds the base through new children sent whole, and votes for the old parent of most children', () => {
    const map = new Map(before);
    // Rewrite two whole directories: the leaves inside them go whole, yet their parents still find their old selves.
    for (const [p, e] of map) if (/^\/srv\/data\/dir03[34]\//.test(p)) map.set(p, { ...e, ctime: '2026-01-01T00:00:00.000Z' });
    const next = treeOf(map);
    const plan = planKnown(next, previous.nodes);
    const wires = encodeAgainst(previous, plan);
    expect(wires.some((w) => w.level === 0 && !isDelta(w))).toBe(true);
    const inner = wires.filter((w) => w.level > 0);
    expect(inner.length).toBeGreaterThan(0);
    expect(inner.filter(isDelta).length).toBeGreaterThanOrEqual(inner.length - 1);
    serverApply(new Map(previous.nodes), wires);
  });

  it('sends inner nodes whole on a level the previous tree does not have', () => {
    const small = buildTree([[path(1, 1), entry(1)]]);
    expect(isLeaf(small.nodes.get(small.root)!)).toBe(true);
    const next = treeOf(files(20));
    const plan = planKnown(next, small.nodes);
    const wires = encodeAgainst(small, plan);
    plan.forEach((node, i) => {
      if (!isLeaf(node)) expect(wires[i]).toEqual(toWire(node));
    });
    serverApply(new Map(small.nodes), wires);
  });

  it('copes with an empty previous tree', () => {
    const empty = buildTree([]);
    const next = treeOf(files(5));
    const plan = planKnown(next, empty.nodes);
    expect(encodeAgainst(empty, plan)).toEqual(plan.map(toWire));
  });
});
