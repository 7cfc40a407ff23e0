import type { PathEntry } from '../functions/contract/entry.ts';
import { treeLines, type TreeLine } from './tree-file.ts';

/**
 * Where a scan could not look (a directory it may not list, an entry whose metadata it may not read),
 * what is there is unknown, not gone: the entries the server last accepted for those paths stand in for
 * them, so nothing is reported `removed` because the agent lost sight of it. The unreadable directory
 * itself is recorded as such (its `unreadable` state is the change that gets reported).
 */

/**
 * Whether `path` is covered by `unknown`: equal to it when it has no trailing `/`, below it when it has
 * (`/etc/secret/` covers `/etc/secret/key`, not `/etc/secret`).
 */
export function covers(unknown: string, path: string): boolean {
  return unknown.endsWith('/') ? path.startsWith(unknown) : path === unknown;
}

/**
 * The last accepted entries (a tree file: the memory) read forward as the walk asks for unknown places
 * in path order: leaves entirely before the place asked are passed over unparsed (their last path is
 * in the line), so a scan with no unknown place costs nothing and one with a few parses a few leaves.
 */
export class LastKnown {
  private lines: Generator<TreeLine> | null;
  /** The leaf being read: its entries and where in them the reading stands. */
  private entries: PathEntry[] = [];
  private index = 0;

  constructor(
    file: string | null,
    /** Whether a carried entry is still in the policy's scope (a target may have shrunk). */
    private readonly inScope: (path: string, entry: PathEntry[1]) => boolean = () => true,
  ) {
    this.lines = file ? treeLines(file) : null;
  }

  /** The next leaf whose last path is at or after `from`, parsed; false at the end. */
  private nextLeaf(from: string): boolean {
    while (this.lines) {
      let next: IteratorResult<TreeLine>;
      try {
        next = this.lines.next();
      } catch {
        next = { done: true, value: undefined };
      }
      if (next.done) {
        this.lines = null;
        return false;
      }
      const line = next.value;
      if (line.level !== 0 || line.lastPath === '' || line.lastPath < from) continue;
      this.entries = (JSON.parse(line.json) as { entries: PathEntry[] }).entries;
      this.index = 0;
      return true;
    }
    return false;
  }

  /** The last known entries `unknown` covers, in path order. Ask in increasing order of place. */
  take(unknown: string): PathEntry[] {
    const out: PathEntry[] = [];
    for (;;) {
      while (this.index < this.entries.length && this.entries[this.index]![0] < unknown) this.index++;
      if (this.index >= this.entries.length) {
        if (!this.nextLeaf(unknown)) return out;
        continue;
      }
      const entry = this.entries[this.index]!;
      if (!covers(unknown, entry[0])) return out;
      this.index++;
      if (this.inScope(entry[0], entry[1])) out.push(entry);
    }
  }

  close(): void {
    this.lines?.return(undefined);
    this.lines = null;
  }
}
