import type { PathEntry } from './entry.ts';
import { canonicalEntry } from './tree.ts';

/**
 * Delta encodings of tree nodes, shared by the agent (which encodes) and the server (which decodes
 * and then verifies the result like any node). A rescan changes a few entries in a few leaves, and
 * sending each such leaf whole costs ~50 bytes per unchanged neighbour; a delta names the node of the
 * previous tree it starts from (`base`, which the server has) and carries only what differs.
 */
export interface LeafDelta {
  level: 0;
  base: string;
  /** Paths of the base leaf that are not in the new leaf. */
  remove: string[];
  /** Entries of the new leaf that are new or differ from the base, sorted by path. */
  put: PathEntry[];
}

/** One splice of a child list: at `start`, delete `deleteCount` hashes and insert `insert`. */
export type ChildEdit = [start: number, deleteCount: number, insert: string[]];

export interface InnerDelta {
  level: number;
  base: string;
  /** Applied in order, each against the list the previous ones produced. */
  edits: ChildEdit[];
}

const byPath = (a: PathEntry, b: PathEntry) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The new leaf's entries: the base's, less `remove` and the paths `put` replaces, plus `put`, sorted. */
export function applyLeafDelta(base: readonly PathEntry[], delta: Pick<LeafDelta, 'remove' | 'put'>): PathEntry[] {
  const drop = new Set(delta.remove);
  for (const [path] of delta.put) drop.add(path);
  return [...base.filter(([path]) => !drop.has(path)), ...delta.put].sort(byPath);
}

/**
 * Applies splices in order; throws RangeError when one points outside the list. Copies rather than
 * `splice(start, n, ...insert)`: spreading a list into arguments is bounded by the call stack.
 */
export function applyChildEdits(base: readonly string[], edits: readonly ChildEdit[]): string[] {
  let children = base.slice();
  for (const [start, deleteCount, insert] of edits) {
    if (start > children.length || start + deleteCount > children.length) throw new RangeError('edit outside the child list');
    const next = children.slice(0, start);
    for (const hash of insert) next.push(hash);
    for (let i = start + deleteCount; i < children.length; i++) next.push(children[i]!);
    children = next;
  }
  return children;
}

/** Same recorded state: compared in the canonical form, so the order an entry's keys came in does not matter. */
const sameEntry = (a: PathEntry, b: PathEntry) => canonicalEntry(a) === canonicalEntry(b);

/** What turns leaf `base` into leaf `next` (both sorted by path). */
export function leafDelta(base: readonly PathEntry[], next: readonly PathEntry[]): Pick<LeafDelta, 'remove' | 'put'> {
  const old = new Map(base.map((e) => [e[0], e] as const));
  const fresh = new Set(next.map(([path]) => path));
  return {
    remove: base.filter(([path]) => !fresh.has(path)).map(([path]) => path),
    put: next.filter((e) => {
      const before = old.get(e[0]);
      return !before || !sameEntry(before, e);
    }),
  };
}

/** One splice covering everything between the common prefix and the common suffix. */
export function childEdits(base: readonly string[], next: readonly string[]): ChildEdit[] {
  let prefix = 0;
  while (prefix < base.length && prefix < next.length && base[prefix] === next[prefix]) prefix++;
  let suffix = 0;
  while (suffix < base.length - prefix && suffix < next.length - prefix && base[base.length - 1 - suffix] === next[next.length - 1 - suffix]) suffix++;
  return [[prefix, base.length - prefix - suffix, next.slice(prefix, next.length - suffix)]];
}
