import { describe, expect, it } from 'vitest';
import type { PathEntry } from './entry.ts';
import { buildTree, isBoundary, isLeaf, MAX_NODE_WIDTH, TreeBuilder, type TreeNode } from './tree.ts';

const entry = (path: string, size = 1): PathEntry => [path, { type: 'file', size, mode: '0644', uid: 0, gid: 0, mtime: '2025-01-01T00:00:00.000Z', ctime: '2025-01-01T00:00:00.000Z', inode: size }];
const sorted = (paths: Iterable<string>): string[] => [...new Set(paths)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Streams `entries` through a TreeBuilder; answers its root and its nodes in the order handed out. */
function streamed(entries: readonly PathEntry[]) {
  const nodes: TreeNode[] = [];
  const builder = new TreeBuilder((node) => nodes.push(node));
  for (const e of entries) builder.add(e);
  return { ...builder.finish(), nodes };
}

/** The streamed tree equals buildTree's: same root, same set of nodes, each handed out after its children. */
function expectSameTree(entries: PathEntry[]) {
  const expected = buildTree(entries);
  const got = streamed(entries);
  expect(got.root).toBe(expected.root);
  expect(got.entryCount).toBe(entries.length);
  expect(new Set(got.nodes.map((n) => n.hash))).toEqual(new Set(expected.nodes.keys()));
  const seen = new Set<string>();
  for (const node of got.nodes) {
    if (!isLeaf(node)) for (const child of node.children) expect(seen.has(child), `child of ${node.hash} first`).toBe(true);
    seen.add(node.hash);
  }
  expect(got.nodes[got.nodes.length - 1]!.hash).toBe(expected.root);
  return got;
}

/** Paths that are boundaries on every level up to `levels` (each closes a leaf and every group above it). */
function boundaryPaths(count: number, levels: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const p = `/b/${i.toString(36)}`;
    let all = true;
    for (let level = 0; level <= levels && all; level++) all = isBoundary(level, p);
    if (all) out.push(p);
  }
  return sorted(out);
}

describe('TreeBuilder', () => {
  it('builds the same tree as buildTree for empty, tiny and large inputs', () => {
    expectSameTree([]);
    expectSameTree([entry('/a')]);
    expectSameTree(sorted(['/a', '/b']).map((p) => entry(p)));
    for (const n of [17, 300, 5000, 40_000]) {
      const paths = sorted(Array.from({ length: n }, (_, i) => `/etc/d${i % 97}/f${(i * 7919) % n}.conf`));
      expectSameTree(paths.map((p, i) => entry(p, i)));
    }
  });

  it('builds the same tree when every leaf is a lone boundary entry and every level above would not narrow', () => {
    // Level 1 sees only boundaries: buildTree cuts it every MAX_NODE_WIDTH spans instead.
    for (const n of [2, 3, MAX_NODE_WIDTH + 5]) expectSameTree(boundaryPaths(n, 1).map((p) => entry(p)));
  });

  it('builds the same tree when a run of entries has no boundary (leaves cut at MAX_NODE_WIDTH)', () => {
    const quiet: string[] = [];
    for (let i = 0; quiet.length < 3 * MAX_NODE_WIDTH + 10; i++) {
      const p = `/q/${String(i).padStart(6, '0')}`;
      if (!isBoundary(0, p)) quiet.push(p);
    }
    expectSameTree(sorted(quiet).map((p) => entry(p)));
  });

  it('builds the same tree when a level starts with lone boundaries and narrows later', () => {
    const lone = boundaryPaths(4, 1);
    const rest = Array.from({ length: 3000 }, (_, i) => `/z/${i}`);
    expectSameTree(sorted([...lone, ...rest]).map((p) => entry(p)));
  });

  it('refuses entries out of order', () => {
    const builder = new TreeBuilder(() => {});
    builder.add(entry('/b'));
    expect(() => builder.add(entry('/a'))).toThrow(/out of order/);
  });
});
