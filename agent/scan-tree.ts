import { linkSync, rmSync } from 'node:fs';
import type { PathEntry } from '../functions/contract/entry.ts';
import { TreeBuilder, type TreeNode } from '../functions/contract/tree.ts';
import { readTreeMeta, treeLines, TreeFileWriter, type TreeLine } from './tree-file.ts';

/**
 * The tree of one policy's scan, built while the walk goes on and written to a tree file (tree-file.ts)
 * node by node. An unchanged rescan writes nothing: while the nodes come out exactly as in `previous`
 * (the tree the server last accepted), they are only counted; the first one that differs opens the
 * file and copies the ones held back from `previous` first. A scan identical to `previous` ends as a
 * hard link to it, so every scan has a file of its own whatever happens to the memory later.
 */
export class ScanTree {
  private readonly builder: TreeBuilder;
  private writer: TreeFileWriter | null = null;
  private previousLines: Generator<TreeLine> | null = null;
  /** Nodes that matched `previous` so far and were not written; null once writing. */
  private held: number | null = null;

  constructor(
    readonly file: string,
    private readonly previous: string | null,
    private readonly serverId: string | undefined,
  ) {
    this.builder = new TreeBuilder((node) => this.node(node));
    if (previous && readTreeMeta(previous)) {
      try {
        this.previousLines = treeLines(previous);
        this.held = 0;
      } catch {
        this.previousLines = null;
      }
    }
    if (this.held === null) this.writer = new TreeFileWriter(file);
  }

  add(entry: PathEntry): void {
    this.builder.add(entry);
  }

  private node(node: TreeNode): void {
    if (this.held !== null) {
      let next: IteratorResult<TreeLine> | undefined;
      try {
        next = this.previousLines!.next();
      } catch {
        next = undefined; // a damaged previous file: stop comparing
      }
      if (next && !next.done && next.value.hash === node.hash) {
        this.held += 1;
        return;
      }
      this.release();
    }
    this.writer!.add(node);
  }

  /** Starts writing: the nodes held back are copied from `previous`. */
  private release(): void {
    const held = this.held ?? 0;
    this.held = null;
    this.previousLines?.return(undefined);
    this.previousLines = null;
    this.writer = new TreeFileWriter(this.file);
    if (held === 0) return;
    let copied = 0;
    for (const line of treeLines(this.previous!)) {
      if (copied++ >= held) break;
      this.writer.addLine(`${line.hash}\t${line.level}\t${line.lastPath}\t${line.json}`);
    }
  }

  /** Closes the tree; answers its root and the file holding it (`file`, or a hard link to `previous`). */
  finish(): { root: string; entryCount: number; file: string } {
    const { root, entryCount } = this.builder.finish();
    if (this.held !== null) {
      let more = false;
      try {
        more = !this.previousLines!.next().done;
      } catch {
        more = true;
      }
      if (!more && readTreeMeta(this.previous!)?.root === root) {
        this.previousLines!.return(undefined);
        rmSync(this.file, { force: true });
        linkSync(this.previous!, this.file);
        return { root, entryCount, file: this.file };
      }
      this.release();
    }
    this.writer!.commit({ root, entryCount, ...(this.serverId ? { serverId: this.serverId } : {}) });
    return { root, entryCount, file: this.file };
  }

  /** Drops what was written (the scan failed or was cancelled). */
  abort(): void {
    this.previousLines?.return(undefined);
    this.writer?.abort();
  }
}

