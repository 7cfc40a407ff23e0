import { describe, expect, it } from 'vitest';
import type { Entry, PathEntry } from '../contract/entry.ts';
import { buildTree, isBoundary, isLeaf, sortEntries, type Tree } from '../contract/tree.ts';
import { innerSummary, leafSummary, TreeShapeError, type NodeSummary } from './tree-shape.ts';

const entry = (inode: number): Entry => ({ type: 'file', size: 1, mode: '0644', uid: 0, gid: 0, mtime: 't', ctime: 't', inode });
const entries = (n: number, prefix = '/srv/app/f'): PathEntry[] => sortEntries(Array.from({ length: n }, (_, i): PathEntry => [`${prefix}${String(i).padStart(6, '0')}`, entry(i)]));

/** Summaries of every node of `tree`, children before parents, through the same rules the server applies. */
function summarize(tree: Tree): Map<string, NodeSummary> {
  const out = new Map<string, NodeSummary>();
  const nodes = [...tree.nodes.values()].sort((a, b) => a.level - b.level);
  for (const node of nodes) {
    out.set(node.hash, isLeaf(node) ? leafSummary(node.entries) : innerSummary(node.level, node.children.map((c) => out.get(c)!)));
  }
  return out;
}

describe('the tree shape the server requires is the shape buildTree makes', () => {
  it.each([1, 2, 17, 129, 3_000, 40_000])('%i entries: every node passes and the root counts them all', (n) => {
    const tree = buildTree(entries(n));
    const root = summarize(tree).get(tree.root)!;
    expect(root).toMatchObject({ count: n, first: '/srv/app/f000000', last: `/srv/app/f${String(n - 1).padStart(6, '0')}` });
  });

  it('also when every path is a boundary and a level is cut every MAX_NODE_WIDTH spans', () => {
    // Paths that each close a leaf and a level-1 node: level 1 would not narrow, so it is cut by the cap.
    const paths: string[] = [];
    for (let i = 0; paths.length < 300; i++) if (isBoundary(0, `/p${i}`) && isBoundary(1, `/p${i}`)) paths.push(`/p${i}`);
    const tree = buildTree(sortEntries(paths.map((p, i): PathEntry => [p, entry(i)])));
    expect([...tree.nodes.values()].filter((n) => n.level === 1).map((n) => (n as { children: string[] }).children.length)).toEqual([128, 128, 44]);
    expect(summarize(tree).get(tree.root)!.count).toBe(300);
  });
});

describe('what the server refuses', () => {
  const leaf = (from: number, n: number): NodeSummary => leafSummary(entries(from + n).slice(from));

  it('a child listed twice (the amplification of issue 10), or children out of order', () => {
    const a = leaf(0, 10);
    const b = leaf(10, 10);
    expect(() => innerSummary(1, [a, a])).toThrow(TreeShapeError);
    expect(() => innerSummary(1, [b, a])).toThrow(/path order/);
    expect(innerSummary(1, [a, b])).toMatchObject({ level: 1, count: 20 });
  });

  it('a child that is not exactly one level below', () => {
    const a = leaf(0, 10);
    const l1 = innerSummary(1, [a]);
    expect(() => innerSummary(2, [a])).toThrow(/level 0, not 1/);
    expect(() => innerSummary(3, [l1])).toThrow(/level 1, not 2/);
    expect(() => innerSummary(1, [l1])).toThrow(/level 1, not 0/);
  });

  it('a tree holding more entries than a policy plausibly can', () => {
    const a = leaf(0, 10);
    const b = leaf(10, 10);
    expect(() => innerSummary(1, [a, b], 15)).toThrow(/20 entries, more than a tree may \(15\)/);
  });

  it('empty, too wide or unsorted nodes', () => {
    expect(() => leafSummary([])).toThrow(TreeShapeError);
    expect(() => leafSummary(entries(129))).toThrow(/1 to 128 entries/);
    const [x, y] = entries(2);
    expect(() => leafSummary([y!, x!])).toThrow(/sorted/);
    expect(() => leafSummary([x!, x!])).toThrow(/sorted/);
    expect(() => innerSummary(1, [])).toThrow(/1 to 128 children/);
  });
});
