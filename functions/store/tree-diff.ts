import { isLeaf, type PathEntry, type TreeNode } from '../contract/tree.ts';
import { loadNodes } from './nodes.ts';

/**
 * The entries of two stored trees that may differ, found by walking both from the roots and dropping
 * every subtree whose hash appears on both sides. An unchanged tree costs no reads; a few changed files
 * cost a few leaves per level. What remains is handed to the pure diff (domain/diff.ts), which sees
 * identical entries on both sides as no change.
 */
export async function differingEntries(tenantId: string, oldRoot: string | null, newRoot: string): Promise<{ before: PathEntry[]; after: PathEntry[] }> {
  if (oldRoot === newRoot) return { before: [], after: [] };
  let left = oldRoot ? [oldRoot] : [];
  let right = [newRoot];
  const cache = new Map<string, TreeNode>();
  for (;;) {
    const rightSet = new Set(right);
    const common = new Set(left.filter((h) => rightSet.has(h)));
    left = left.filter((h) => !common.has(h));
    right = right.filter((h) => !common.has(h));
    const unknown = [...left, ...right].filter((h) => !cache.has(h));
    for (const [hash, node] of await loadNodes(tenantId, unknown)) cache.set(hash, node);
    const node = (h: string) => {
      const n = cache.get(h);
      if (!n) throw new Error(`tree node ${h} is missing from the store`);
      return n;
    };
    const top = Math.max(0, ...[...left, ...right].map((h) => node(h).level));
    if (top === 0) {
      const entries = (hashes: string[]) =>
        hashes.flatMap((h) => (node(h) as Extract<TreeNode, { level: 0 }>).entries).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return { before: entries(left), after: entries(right) };
    }
    // Open the highest nodes first so both sides are compared at the same depth.
    const expand = (hashes: string[]) => hashes.flatMap((h) => (node(h).level === top && !isLeaf(node(h)) ? (node(h) as { children: string[] }).children : [h]));
    left = expand(left);
    right = expand(right);
  }
}

/** Every entry of a stored tree (used for a golden-master comparison). */
export async function allEntries(tenantId: string, root: string): Promise<PathEntry[]> {
  return (await differingEntries(tenantId, null, root)).after;
}
