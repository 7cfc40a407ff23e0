import { linkSync, renameSync, rmSync } from 'node:fs';
import type { PathEntry } from '../functions/contract/entry.ts';
import { TreeBuilder, type TreeNode } from '../functions/contract/tree.ts';
import { readTreeMeta, treeLines, TreeFileWriter, type TreeLine } from './tree-file.ts';

/**
 * The tree of one policy's scan, built while the walk goes on and written to a tree file (tree-file.ts)
 * node by node. An unchanged rescan writes nothing: while the nodes come out exactly as in `previous`
 * (the tree the server last accepted), they are only counted; the first one that differs opens the
 * file and copies the ones held back from `previous` first. `previous` is pinned by a hard link when
 * the scan starts (`<file>.base`), so another process replacing the memory meanwhile changes nothing
 * here, and a scan identical to it ends as that link: every scan has a file of its own.
 */
export class ScanTree {
  private readonly builder: TreeBuilder;
  private writer: TreeFileWriter | null = null;
  private previousLines: Generator<TreeLine> | null = null;
  /** Nodes that matched `previous` so far and were not written; null once writing. */
  private held: number | null = null;
  /** The hard link pinning `previous` while it is compared with. */
  private readonly base: string;

  constructor(
    readonly file: string,
    previous: string | null,
    private readonly serverId: string | undefined,
  ) {
    this.builder = new TreeBuilder((node) => this.node(node));
    this.base = `${file}.base`;
    if (previous) {
      try {
        linkSync(previous, this.base);
        if (readTreeMeta(this.base)) {
          this.previousLines = treeLines(this.base);
          this.held = 0;
        }
      } catch {
        this.previousLines = null;
      }
    }
    if (this.held === null) this.start();
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

  /** Opens the file, dropping the pinned previous tree. */
  private start(): void {
    this.writer = new TreeFileWriter(this.file);
    rmSync(this.base, { force: true });
  }

  /** Starts writing: the nodes held back are copied from `previous` first. */
  private release(): void {
    const held = this.held ?? 0;
    this.held = null;
    this.previousLines?.return(undefined);
    this.previousLines = null;
    // Set before copying, so that abort() drops the partial file should the copy fail.
    const writer = (this.writer = new TreeFileWriter(this.file));
    let copied = 0;
    if (held > 0) {
      for (const line of treeLines(this.base)) {
        if (copied++ >= held) break;
        writer.addLine(`${line.hash}\t${line.level}\t${line.lastPath}\t${line.json}`);
      }
    }
    rmSync(this.base, { force: true });
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
      if (!more && readTreeMeta(this.base)?.root === root) {
        this.previousLines!.return(undefined);
        renameSync(this.base, this.file);
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
    rmSync(this.base, { force: true });
  }
}

