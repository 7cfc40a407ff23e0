import { isLeaf, MAX_TREE_ENTRIES, type InnerNode, type LeafNode, type PathEntry, type TreeNode } from '../contract/tree.ts';
import { loadNodes } from './nodes.ts';

/**
 * The entries of two stored trees that may differ, found by walking both from the roots and dropping
 * every subtree whose hash appears on both sides. An unchanged tree costs no reads; a few changed files
 * cost a few leaves per level. What remains is handed to the pure diff (domain/diff.ts), which sees
 * identical entries on both sides as no change. Used by the ingest and by the drift of a server.
 *
 * Bounded whatever the store holds: a node is opened at most once per side however often a tree lists
 * it (the upload refuses such trees, but a tree stored before it did may still be the old side of a
 * diff), the walk is a loop over levels (no recursion), and a side that would yield more than
 * MAX_TREE_ENTRIES entries is refused rather than expanded.
 */
export async function differingEntries(tenantId: string, oldRoot: string | null, newRoot: string): Promise<{ before: PathEntry[]; after: PathEntry[] }> {
  if (oldRoot === newRoot) return { before: [], after: [] };
  const left = side(oldRoot ? [oldRoot] : []);
  const right = side([newRoot]);
  const cache = new Map<string, TreeNode>();
  const node = (h: string) => {
    const n = cache.get(h);
    if (!n) throw new Error(`tree node ${h} is missing from the store`);
    return n;
  };
  for (;;) {
    for (const h of left.frontier) {
      if (right.frontier.delete(h)) left.frontier.delete(h);
    }
    const unknown = [...left.frontier, ...right.frontier].filter((h) => !cache.has(h));
    for (const [hash, loaded] of await loadNodes(tenantId, unknown, { legacy: true })) cache.set(hash, loaded);
    let top = 0;
    for (const h of left.frontier) top = Math.max(top, node(h).level);
    for (const h of right.frontier) top = Math.max(top, node(h).level);
    if (top === 0) return { before: entriesOf(left.frontier, node), after: entriesOf(right.frontier, node) };
    // Open the highest nodes first so both sides are compared at the same depth.
    left.open(top, node);
    right.open(top, node);
  }
}

/** One side of the walk: the nodes still to compare, and every node it ever held (opened once). */
function side(roots: string[]) {
  const seen = new Set(roots);
  const s = {
    frontier: new Set(roots),
    open(level: number, node: (h: string) => TreeNode) {
      const next = new Set<string>();
      for (const h of s.frontier) {
        const n = node(h);
        if (n.level !== level || isLeaf(n)) {
          next.add(h);
          continue;
        }
        for (const child of (n as InnerNode).children) {
          if (seen.has(child)) continue;
          seen.add(child);
          next.add(child);
        }
      }
      s.frontier = next;
    },
  };
  return s;
}

function entriesOf(leaves: Set<string>, node: (h: string) => TreeNode): PathEntry[] {
  const entries: PathEntry[] = [];
  for (const h of leaves) {
    for (const entry of (node(h) as LeafNode).entries) entries.push(entry);
    if (entries.length > MAX_TREE_ENTRIES) throw new Error(`a stored tree holds more than ${MAX_TREE_ENTRIES} entries; refusing to diff it`);
  }
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Every entry of a stored tree (used for a golden-master comparison). */
export async function allEntries(tenantId: string, root: string): Promise<PathEntry[]> {
  return (await differingEntries(tenantId, null, root)).after;
}
