import type { PathEntry } from '../functions/contract/entry.ts';
import type { InnerNode, LeafNode } from '../functions/contract/tree.ts';
import type { DeltaBase } from './delta.ts';
import type { StoredTree, TreeLine } from './tree-file.ts';

interface OldLeaf {
  hash: string;
  lastPath: string;
  entries?: PathEntry[];
}

const leafOf = (line: TreeLine): OldLeaf => ({ hash: line.hash, lastPath: line.lastPath });
const entriesOf = (leaf: OldLeaf): PathEntry[] => (leaf.entries ??= []);

/**
 * The DeltaBase of a tree on disk (the tree the server last accepted): its inner nodes come from memory,
 * its leaves are read from the file in path order as the new leaves ask for them, and only the old
 * leaves that overlap the new leaf in hand are parsed and kept. New leaves must be asked in path order.
 */
export class StoredBase implements DeltaBase {
  private parents: Map<string, string> | null = null;
  private readonly lines: Generator<TreeLine>;
  /** Old leaves read and not yet passed over, in path order. */
  private window: OldLeaf[] = [];
  /** The last non-empty old leaf read: the base for new paths beyond the old tree's last. */
  private lastLeaf: OldLeaf | null = null;
  private done = false;

  constructor(private readonly tree: StoredTree) {
    this.lines = tree.lines();
  }

  has(hash: string): boolean {
    return this.tree.hashes.has(hash);
  }

  inner(hash: string): InnerNode | undefined {
    return this.tree.inner.get(hash);
  }

  parentOf(hash: string): string | undefined {
    if (!this.parents) {
      this.parents = new Map();
      for (const node of this.tree.inner.values()) for (const child of node.children) this.parents.set(child, node.hash);
    }
    return this.parents.get(hash);
  }

  /** Reads the next non-empty old leaf into the window; false at the end of the file. */
  private readLeaf(): boolean {
    while (!this.done) {
      const next = this.lines.next();
      if (next.done) {
        this.done = true;
        break;
      }
      if (next.value.level !== 0 || next.value.lastPath === '') continue;
      const leaf = leafOf(next.value);
      leaf.entries = (JSON.parse(next.value.json) as { entries: PathEntry[] }).entries;
      this.window.push(leaf);
      this.lastLeaf = leaf;
      return true;
    }
    return false;
  }

  leafCandidates(leaf: LeafNode): LeafNode[] {
    const paths = leaf.entries;
    if (paths.length === 0) return [];
    const first = paths[0]![0];
    const last = paths[paths.length - 1]![0];
    // Old leaves that end before this leaf's first path hold none of its paths, nor of any later leaf's.
    for (;;) {
      while (this.window.length > 0 && this.window[0]!.lastPath < first) this.window.shift();
      if (this.window.length > 0 && this.window[this.window.length - 1]!.lastPath >= last) break;
      if (!this.readLeaf()) break;
    }
    const found: OldLeaf[] = [];
    for (const old of this.window) {
      const entries = entriesOf(old);
      if (entries.length === 0 || entries[0]![0] > last) break;
      // Both sorted: does the old leaf hold one of the new leaf's paths?
      let i = 0;
      let j = 0;
      while (i < entries.length && j < paths.length) {
        const a = entries[i]![0];
        const b = paths[j]![0];
        if (a === b) {
          found.push(old);
          break;
        }
        if (a < b) i++;
        else j++;
      }
    }
    if (found.length === 0) {
      const fallback = this.window[0] ?? this.lastLeaf;
      if (fallback) found.push(fallback);
    }
    return found.map((old) => ({ level: 0, hash: old.hash, entries: entriesOf(old) }));
  }

  /** Stops reading the file. */
  close(): void {
    this.lines.return(undefined);
  }
}
