import type { PathEntry } from '../contract/entry.ts';
import { MAX_NODE_WIDTH, MAX_TREE_ENTRIES } from '../contract/tree.ts';

/**
 * The shape every stored tree must have, which is the shape buildTree (functions/contract/tree.ts)
 * gives: a leaf holds 1 to MAX_NODE_WIDTH entries in strictly increasing path order; an inner node of
 * level L holds 1 to MAX_NODE_WIDTH children, all of level L-1, each child's paths all before the
 * next child's. Paths then increase strictly across the whole tree, so no child can be listed twice
 * and no subtree can stand for more entries than it really holds: the entry count of a node is known,
 * and bounded, before anything is expanded. Checked on every node the server stores, from summaries
 * of its children, so a parent is checked without opening its children's subtrees. Pure.
 */

/** What the server keeps about each stored node besides its content. */
export interface NodeSummary {
  level: number;
  /** Entries in the node's subtree. */
  count: number;
  /** The first and last path of the subtree. */
  first: string;
  last: string;
}

/** A node that breaks the shape; the message says which rule. */
export class TreeShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TreeShapeError';
  }
}

const width = (n: number, what: string) => {
  if (n < 1 || n > MAX_NODE_WIDTH) throw new TreeShapeError(`a node holds 1 to ${MAX_NODE_WIDTH} ${what}, not ${n}`);
};

/** The summary of a leaf; throws TreeShapeError when its entries are empty, too many or out of order. */
export function leafSummary(entries: readonly PathEntry[]): NodeSummary {
  width(entries.length, 'entries');
  for (let i = 1; i < entries.length; i++) {
    if (!(entries[i - 1]![0] < entries[i]![0])) throw new TreeShapeError(`entries must be sorted by path without duplicates (at ${i})`);
  }
  return { level: 0, count: entries.length, first: entries[0]![0], last: entries[entries.length - 1]![0] };
}

/**
 * The summary of an inner node of `level` from its children's summaries, in order; throws
 * TreeShapeError when a child is on another level than `level - 1`, out of order (or repeated), or
 * the subtree holds more than `maxEntries` entries.
 */
export function innerSummary(level: number, children: readonly NodeSummary[], maxEntries = MAX_TREE_ENTRIES): NodeSummary {
  width(children.length, 'children');
  let count = 0;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (child.level !== level - 1) throw new TreeShapeError(`child ${i} is on level ${child.level}, not ${level - 1}`);
    if (i > 0 && !(children[i - 1]!.last < child.first)) throw new TreeShapeError(`child ${i} does not come after child ${i - 1} in path order (repeated or out of order)`);
    count += child.count;
  }
  if (count > maxEntries) throw new TreeShapeError(`the subtree holds ${count} entries, more than a tree may (${maxEntries})`);
  return { level, count, first: children[0]!.first, last: children[children.length - 1]!.last };
}
