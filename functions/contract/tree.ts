import { createHash } from 'node:crypto';
import type { Entry, PathEntry } from './entry.ts';

/**
 * The Merkle tree over a scan's entries, shared by the agent (which builds it) and the server (which
 * verifies and diffs it). Entries are sorted by path and cut into leaves where a hash of the path falls
 * under a threshold (content-defined chunking): one added file moves no later boundary. Upper levels
 * are cut the same way on each child's last path with a per-level seed. Every node is addressed by a
 * 128-bit hash of its content, so the server can tell what it already has from hashes alone.
 */

/**
 * Average entries per leaf and children per inner node (a power of two). 32 rather than 16: the server
 * stores one item per node, so a 200,000-file baseline is ~6,800 items instead of ~13,900, ~28% fewer
 * write units (fewer items rounded up to a whole KB) and about a third less API time (docs/protocol.md);
 * a rescan's upload barely changes, since a changed leaf goes as a delta of its changed entries, and
 * only 1.7% of leaves reach MAX_NODE_WIDTH ((31/32)^128), where a cut stops being content-defined.
 */
export const FANOUT = 32;
/** Hard cap per node, so an unlucky run of paths cannot make a node huge. */
export const MAX_NODE_WIDTH = 128;
/**
 * Most entries one policy's tree may hold; the server refuses an upload that would pass it. Twice the
 * largest tree the design measures (1,000,000 files, plus their directories): a whole root filesystem
 * of a big server is well below it, while a tree built to look larger than what it holds (the same
 * subtree listed again and again) would pass it long before an ingest spends its memory on it. Also
 * what one ingest can still diff in memory when every entry changed (two trees of this size, ~2 GB of
 * entries: within a Lambda's 10 GB).
 */
export const MAX_TREE_ENTRIES = 2_000_000;

export interface LeafNode {
  level: 0;
  hash: string;
  entries: PathEntry[];
}
export interface InnerNode {
  level: number;
  hash: string;
  children: string[];
}
export type TreeNode = LeafNode | InnerNode;

export interface Tree {
  root: string;
  /** Every node by hash. */
  nodes: Map<string, TreeNode>;
  entryCount: number;
}

export const isLeaf = (node: TreeNode): node is LeafNode => node.level === 0;

/**
 * The canonical form (version 2) of what a node hash covers. It must be injective, or two different
 * leaves could share a hash and one stand in for the other in a server's history (issue 10), and it
 * must cover every field of an Entry, including fields added later, with no change here. So it is a
 * small self-delimiting encoding of the value itself, every key and every value, keys sorted:
 *
 * - a string: its length in UTF-16 code units, `"`, the string (`6"/etc/x`)
 * - a number: `#`, its JavaScript text, `;` (`#420;`); `t` / `f` for booleans, `z` for null
 * - an array: `[`, its length, `:`, each element
 * - an object: `{`, the number of defined keys, `:`, then each key (as a string) and its value, keys in
 *   code-unit order, so the order an object was built in does not matter; an undefined value is left
 *   out, as JSON leaves it out
 *
 * Each value is read back unambiguously from its first character, so the text of a value sequence
 * decodes one way only. Length prefixes rather than escaping: no string is scanned twice (the cost, about
 * +0.5 µs per entry over the old non-injective form, is in docs/protocol.md). A leaf's text
 * is `dw2 leaf\n` and each entry's path then value; an inner node's is `dw2 inner\n`, its level and
 * its children. The text is hashed as UTF-8, which is injective on well-formed strings; a text with a
 * lone surrogate (which UTF-8 would turn into U+FFFD) is hashed as UTF-16 under its own prefix instead.
 */
const LEAF_TEXT = 'dw2 leaf\n';
const INNER_TEXT = 'dw2 inner\n';
const UTF16_TEXT = 'dw2-utf16\n';
/** Nesting a canonical value may have: an Entry is two levels deep; anything deeper is not an entry. */
const MAX_DEPTH = 8;

function digest(text: string): string {
  const hash = createHash('sha256');
  if ((text as unknown as { isWellFormed(): boolean }).isWellFormed()) hash.update(text);
  else hash.update(UTF16_TEXT).update(text, 'utf16le');
  return hash.digest('base64url').slice(0, 22);
}

/**
 * Sorted keys of the object shapes seen last: entries come in a handful of shapes (file, directory,
 * symlink...), so their keys are sorted once per shape, not once per entry. Nested objects (a hash, a
 * map of xattrs whose names vary from file to file) have a cache of their own, so they never push the
 * entry shapes out.
 */
interface Shape {
  keys: string[];
  sorted: string[];
  /** Each sorted key in canonical string form. */
  labels: string[];
}
const entryShapes: Shape[] = [];
const nestedShapes: Shape[] = [];
const MAX_SHAPES = 32;

function shapeOf(value: object, shapes: Shape[]): Shape {
  const keys = Object.keys(value);
  search: for (let s = 0; s < shapes.length; s++) {
    const shape = shapes[s]!;
    if (shape.keys.length !== keys.length) continue;
    for (let i = 0; i < keys.length; i++) if (shape.keys[i] !== keys[i]) continue search;
    return shape;
  }
  const sorted = [...keys].sort();
  const shape: Shape = { keys, sorted, labels: sorted.map((key) => `${key.length}"${key}`) };
  if (shapes.length >= MAX_SHAPES) shapes.pop();
  shapes.unshift(shape);
  return shape;
}

/** The canonical text of any JSON-like value (see above); throws on what JSON cannot carry. */
export function canonicalValue(value: unknown, depth = 0): string {
  switch (typeof value) {
    case 'string':
      return `${value.length}"${value}`;
    case 'number':
      return `#${value};`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'object': {
      if (value === null) return 'z';
      if (depth >= MAX_DEPTH) throw new TypeError('value nested too deeply for a tree entry');
      if (Array.isArray(value)) {
        let text = `[${value.length}:`;
        for (let i = 0; i < value.length; i++) text += canonicalValue(value[i] ?? null, depth + 1);
        return text;
      }
      const { sorted, labels } = shapeOf(value, depth === 0 ? entryShapes : nestedShapes);
      const record = value as Record<string, unknown>;
      let text = '';
      let count = 0;
      for (let i = 0; i < sorted.length; i++) {
        const field = record[sorted[i]!];
        if (field === undefined) continue;
        text += labels[i]! + canonicalValue(field, depth + 1);
        count++;
      }
      return `{${count}:${text}`;
    }
    default:
      throw new TypeError(`a tree entry cannot hold a ${typeof value}`);
  }
}

/** The canonical text of one entry: its path, then the entry with every field it has. */
export function canonicalEntry([path, entry]: PathEntry): string {
  return `${path.length}"${path}${canonicalValue(entry)}`;
}

export function leafHash(entries: readonly PathEntry[]): string {
  let text = LEAF_TEXT;
  for (let i = 0; i < entries.length; i++) text += canonicalEntry(entries[i]!);
  return digest(text);
}

export function innerHash(level: number, children: readonly string[]): string {
  return digest(INNER_TEXT + canonicalValue(level) + canonicalValue(children));
}

/**
 * True when `path` closes a node at `level`: about one path in FANOUT does. Chunking needs a stable,
 * well-mixed function of the path, not a cryptographic one (the server verifies node hashes, never
 * the cut points), so this is FNV-1a with a murmur3 finalizer: ~20x cheaper than a sha256 per path.
 */
export function isBoundary(level: number, path: string): boolean {
  let h = (0x811c9dc5 ^ Math.imul(level + 1, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < path.length; i++) {
    h ^= path.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h & (FANOUT - 1)) === 0;
}

interface Span {
  hash: string;
  lastPath: string;
}

/** Sorts by path (code unit order, the same on every platform) and rejects duplicates. */
export function sortEntries(entries: PathEntry[]): PathEntry[] {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1]![0] === entries[i]![0]) throw new Error(`duplicate path ${entries[i]![0]}`);
  }
  return entries;
}

/**
 * Builds the tree of `entries`, which must already be sorted by path without duplicates.
 * @example buildTree(sortEntries(walked)).root
 */
export function buildTree(entries: readonly PathEntry[]): Tree {
  const nodes = new Map<string, TreeNode>();
  let spans: Span[] = [];
  let current: PathEntry[] = [];
  const closeLeaf = () => {
    const leaf: LeafNode = { level: 0, hash: leafHash(current), entries: current };
    nodes.set(leaf.hash, leaf);
    spans.push({ hash: leaf.hash, lastPath: current.length ? current[current.length - 1]![0] : '' });
    current = [];
  };
  for (const pathEntry of entries) {
    current.push(pathEntry);
    if (current.length >= MAX_NODE_WIDTH || isBoundary(0, pathEntry[0])) closeLeaf();
  }
  if (current.length > 0 || spans.length === 0) closeLeaf();

  let level = 0;
  while (spans.length > 1) {
    level += 1;
    const groups = groupSpans(level, spans);
    spans = groups.map((group) => {
      const children = group.map((s) => s.hash);
      const node: InnerNode = { level, hash: innerHash(level, children), children };
      nodes.set(node.hash, node);
      return { hash: node.hash, lastPath: group[group.length - 1]!.lastPath };
    });
  }
  return { root: spans[0]!.hash, nodes, entryCount: entries.length };
}

/**
 * Cuts one level's spans into the children of the next level's nodes. When every span is a boundary
 * the level would not narrow, so it is cut every MAX_NODE_WIDTH spans instead. Grouping comes before
 * any node is made, so the tree holds no node its root cannot reach.
 */
function groupSpans(level: number, spans: readonly Span[]): Span[][] {
  const groups: Span[][] = [];
  let group: Span[] = [];
  for (const span of spans) {
    group.push(span);
    if (group.length >= MAX_NODE_WIDTH || isBoundary(level, span.lastPath)) {
      groups.push(group);
      group = [];
    }
  }
  if (group.length > 0) groups.push(group);
  if (groups.length < spans.length) return groups;
  const merged: Span[][] = [];
  for (let i = 0; i < spans.length; i += MAX_NODE_WIDTH) merged.push(spans.slice(i, i + MAX_NODE_WIDTH));
  return merged;
}

/** Checks that a leaf's entries are sorted, unique and non-empty where they must be. */
export function leafIsOrdered(entries: readonly PathEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (!(entries[i - 1]![0] < entries[i]![0])) return false;
  return true;
}

export type { Entry, PathEntry };

/** One level above the leaves of a TreeBuilder: the spans it was handed and the group it is filling. */
interface LevelState {
  level: number;
  /** Spans handed to this level so far. */
  count: number;
  /**
   * Some group of this level has two or more spans, so the level narrows and is cut as it goes (see
   * groupSpans). Until then every group closed is held: the level may yet turn out to be a lone span
   * (the root) or to be all boundaries (cut every MAX_NODE_WIDTH instead).
   */
  narrowed: boolean;
  /** Closed single-span groups held until the level narrows. */
  held: Span[];
  group: Span[];
}

/**
 * Builds the same tree as buildTree, from entries handed over one at a time in path order, handing out
 * each node as soon as it is complete (children before parents), and keeping only the open leaf and
 * one open group per level: memory bounded by the tree's height, not its size. buildTree(entries) and
 * a TreeBuilder fed the same entries give the same root and the same nodes.
 * @example const b = new TreeBuilder((node) => file.add(node)); for (const e of walk) b.add(e); const { root } = b.finish();
 */
export class TreeBuilder {
  private current: PathEntry[] = [];
  private leaves = 0;
  private entryCount = 0;
  private readonly levels: LevelState[] = [];
  private lastPath: string | null = null;

  constructor(private readonly onNode: (node: TreeNode) => void) {}

  /** Adds the next entry; its path must sort after the previous one. */
  add(pathEntry: PathEntry): void {
    const path = pathEntry[0];
    if (this.lastPath !== null && !(this.lastPath < path)) throw new Error(`entries out of order: ${path} after ${this.lastPath}`);
    this.lastPath = path;
    this.entryCount += 1;
    this.current.push(pathEntry);
    if (this.current.length >= MAX_NODE_WIDTH || isBoundary(0, path)) this.closeLeaf();
  }

  private closeLeaf(): void {
    const entries = this.current;
    this.current = [];
    const leaf: LeafNode = { level: 0, hash: leafHash(entries), entries };
    this.leaves += 1;
    this.onNode(leaf);
    this.push(1, { hash: leaf.hash, lastPath: entries.length ? entries[entries.length - 1]![0] : '' });
  }

  private state(level: number): LevelState {
    let state = this.levels[level - 1];
    if (!state) {
      state = { level, count: 0, narrowed: false, held: [], group: [] };
      this.levels[level - 1] = state;
    }
    return state;
  }

  /** Hands a span to `level` (1 = the level above the leaves). */
  private push(level: number, span: Span): void {
    const s = this.state(level);
    s.count += 1;
    s.group.push(span);
    if (!s.narrowed && s.group.length >= 2) {
      s.narrowed = true;
      for (const single of s.held) this.makeNode(level, [single]);
      s.held = [];
    }
    if (s.group.length >= MAX_NODE_WIDTH || isBoundary(level, span.lastPath)) {
      const group = s.group;
      s.group = [];
      if (s.narrowed) this.makeNode(level, group);
      else s.held.push(group[0]!);
    }
  }

  private makeNode(level: number, group: readonly Span[]): void {
    const children = group.map((s) => s.hash);
    const node: InnerNode = { level, hash: innerHash(level, children), children };
    this.onNode(node);
    this.push(level + 1, { hash: node.hash, lastPath: group[group.length - 1]!.lastPath });
  }

  /** Closes every open node, bottom-up; answers the root. No entry may be added afterwards. */
  finish(): { root: string; entryCount: number } {
    if (this.current.length > 0 || this.leaves === 0) this.closeLeaf();
    for (let level = 1; ; level++) {
      const s = this.levels[level - 1]!;
      if (s.count === 1) return { root: (s.held[0] ?? s.group[0])!.hash, entryCount: this.entryCount };
      if (s.narrowed) {
        if (s.group.length > 0) this.makeNode(level, s.group);
      } else {
        // Every span was a boundary: the level would not narrow, so it is cut every MAX_NODE_WIDTH spans.
        const spans = [...s.held, ...s.group];
        for (let i = 0; i < spans.length; i += MAX_NODE_WIDTH) this.makeNode(level, spans.slice(i, i + MAX_NODE_WIDTH));
      }
      s.held = [];
      s.group = [];
    }
  }
}
