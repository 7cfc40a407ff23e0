import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isLeaf, type InnerNode, type TreeNode } from '../functions/contract/tree.ts';
import { toWire } from './delta.ts';
import { fsyncDir } from './atomic-file.ts';

/**
 * A Merkle tree on disk, one node per line in the order the TreeBuilder hands them out (children
 * before parents, leaves in path order), so a scan writes it as it walks and nothing reads it whole:
 * uploads stream it, the next scan compares against it, and only its inner nodes (about one node in
 * sixteen) are ever held in memory. The agent keeps its scans' trees (trees/), its memory of the tree
 * the server accepted, and its spooled scans in this form.
 *
 * Layout: gzip blocks of whole lines (each block `<u32 raw bytes><u32 gzip bytes><gzip>`, so a damaged
 * block fails its CRC), then a JSON footer `<json><u32 json bytes>DWT1`. A line is
 * `<hash>\t<level>\t<last path of a leaf, else empty>\t<node as the wire carries it (JSON)>`: wire paths
 * hold no tab or newline (control characters are escaped), so the fields split on tabs.
 */

export interface TreeFileMeta {
  format: 'driftwatch-tree';
  version: 1;
  root: string;
  entryCount: number;
  nodeCount: number;
  /** The enrollment whose server holds (or will hold) the nodes: a file of another one is ignored. */
  serverId?: string;
}

export interface TreeLine {
  hash: string;
  level: number;
  /** A leaf's last path ('' for an inner node and for the empty leaf). */
  lastPath: string;
  /** The node as the wire carries it: `{"level":0,"entries":[...]}` or `{"level":n,"children":[...]}`. */
  json: string;
}

const MAGIC = 'DWT1';
const BLOCK_BYTES = 256 << 10;
const FOOTER_TAIL = 8;

/** The line of a node. */
export function nodeLine(node: TreeNode): string {
  const lastPath = isLeaf(node) && node.entries.length > 0 ? node.entries[node.entries.length - 1]![0] : '';
  return `${node.hash}\t${node.level}\t${lastPath}\t${JSON.stringify(toWire(node))}`;
}

/**
 * The line of `text` between `start` and `end` (bytes). Each field is made from the bytes (not sliced
 * from a string of the whole block, which V8 would keep alive for as long as any field lives: the node
 * hashes of a whole tree would then hold every block).
 */
function parseLine(text: Buffer, start: number, end: number): TreeLine {
  const t1 = text.indexOf(9, start);
  const t2 = t1 < 0 ? -1 : text.indexOf(9, t1 + 1);
  const t3 = t2 < 0 ? -1 : text.indexOf(9, t2 + 1);
  if (t1 < 0 || t2 < 0 || t3 < 0 || t3 >= end) throw new Error('not a tree line');
  return {
    hash: text.toString('latin1', start, t1),
    level: Number(text.toString('latin1', t1 + 1, t2)),
    lastPath: text.toString('utf8', t2 + 1, t3),
    json: text.toString('utf8', t3 + 1, end),
  };
}

/** Writes a tree file: lines stream out in gzip blocks; commit() renames the finished file into place. */
export class TreeFileWriter {
  private readonly temp: string;
  private fd: number | undefined;
  private lines: string[] = [];
  private bytes = 0;
  nodeCount = 0;

  constructor(readonly file: string) {
    this.temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    this.fd = openSync(this.temp, 'w', 0o600);
  }

  add(node: TreeNode): void {
    this.addLine(nodeLine(node));
  }

  /** Adds a line as read from another tree file. */
  addLine(line: string): void {
    this.lines.push(line);
    this.bytes += line.length + 1;
    this.nodeCount += 1;
    if (this.bytes >= BLOCK_BYTES) this.flush();
  }

  private write(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) offset += writeSync(this.fd!, data, offset, data.length - offset);
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    const raw = Buffer.from(`${this.lines.join('\n')}\n`, 'utf8');
    this.lines = [];
    this.bytes = 0;
    // Level 1: the file is written at every changed scan and read a few times; ~4x faster than level 6.
    const packed = gzipSync(raw, { level: 1, chunkSize: raw.length + 1024 }); // one output buffer, see treeLines
    const head = Buffer.alloc(8);
    head.writeUInt32LE(raw.length, 0);
    head.writeUInt32LE(packed.length, 4);
    this.write(head);
    this.write(packed);
  }

  /** Finishes the file (footer, fsync) and renames it over `file`. */
  commit(meta: Omit<TreeFileMeta, 'format' | 'version' | 'nodeCount'>): void {
    this.flush();
    const json = Buffer.from(JSON.stringify({ format: 'driftwatch-tree', version: 1, ...meta, nodeCount: this.nodeCount } satisfies TreeFileMeta), 'utf8');
    const tail = Buffer.alloc(FOOTER_TAIL);
    tail.writeUInt32LE(json.length, 0);
    tail.write(MAGIC, 4, 'latin1');
    this.write(Buffer.concat([json, tail]));
    fsyncSync(this.fd!);
    closeSync(this.fd!);
    this.fd = undefined;
    renameSync(this.temp, this.file);
    fsyncDir(dirname(this.file));
  }

  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    try {
      unlinkSync(this.temp);
    } catch {
      /* already gone */
    }
  }
}

/** Where the blocks end and what the footer says; null for a missing, truncated or foreign file. */
function openTree(file: string): { fd: number; meta: TreeFileMeta; blocksEnd: number } | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < FOOTER_TAIL) throw new Error('short');
    const tail = Buffer.alloc(FOOTER_TAIL);
    readSync(fd, tail, 0, FOOTER_TAIL, size - FOOTER_TAIL);
    if (tail.toString('latin1', 4) !== MAGIC) throw new Error('no footer');
    const length = tail.readUInt32LE(0);
    if (length > size - FOOTER_TAIL) throw new Error('bad footer');
    const json = Buffer.alloc(length);
    readSync(fd, json, 0, length, size - FOOTER_TAIL - length);
    const meta = JSON.parse(json.toString('utf8')) as TreeFileMeta;
    if (meta.format !== 'driftwatch-tree' || meta.version !== 1 || typeof meta.root !== 'string') throw new Error('foreign');
    return { fd, meta, blocksEnd: size - FOOTER_TAIL - length };
  } catch {
    closeSync(fd);
    return null;
  }
}

/** The footer of a tree file, or null (missing, damaged, foreign). */
export function readTreeMeta(file: string): TreeFileMeta | null {
  const opened = openTree(file);
  if (!opened) return null;
  closeSync(opened.fd);
  return opened.meta;
}

/**
 * The lines of a tree file in order, one gzip block in memory at a time. Throws on a damaged block
 * (the caller treats the file as unusable).
 */
export function* treeLines(file: string): Generator<TreeLine> {
  const opened = openTree(file);
  if (!opened) throw new Error(`${file} is not a tree file`);
  const { fd, blocksEnd } = opened;
  try {
    let offset = 0;
    const head = Buffer.alloc(8);
    let buffer = Buffer.allocUnsafe(BLOCK_BYTES);
    while (offset < blocksEnd) {
      if (readSync(fd, head, 0, 8, offset) !== 8) throw new Error('truncated block');
      const raw = head.readUInt32LE(0);
      const length = head.readUInt32LE(4);
      if (length > buffer.length) buffer = Buffer.allocUnsafe(length);
      const packed = buffer.subarray(0, length);
      if (readSync(fd, packed, 0, length, offset + 8) !== length) throw new Error('truncated block');
      offset += 8 + length;
      // One output buffer of the block's known size, rather than zlib's many small chunks joined (less
      // native memory churn, which glibc keeps as resident memory).
      const text = gunzipSync(packed, { chunkSize: Math.max(64, raw + 1) });
      if (text.length !== raw) throw new Error('block size mismatch');
      let start = 0;
      for (let end = text.indexOf(10); end >= 0; end = text.indexOf(10, start)) {
        yield parseLine(text, start, end);
        start = end + 1;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A node for planning an upload: an inner node, or a leaf known by its hash alone. */
export type PlanNode = InnerNode | { level: 0; hash: string };

/**
 * A tree file opened for planning: every node hash and the inner nodes in memory (one pass), the
 * leaves left on disk. Answers null when the file is missing, damaged, of another enrollment, or does
 * not hold the root its footer names.
 */
export class StoredTree {
  private constructor(
    readonly file: string,
    readonly meta: TreeFileMeta,
    /** Every node's hash. */
    readonly hashes: Set<string>,
    readonly inner: Map<string, InnerNode>,
  ) {}

  get root(): string {
    return this.meta.root;
  }

  get entryCount(): number {
    return this.meta.entryCount;
  }

  static open(file: string, serverId?: string): StoredTree | null {
    const meta = readTreeMeta(file);
    if (!meta || (serverId !== undefined && meta.serverId !== serverId)) return null;
    const hashes = new Set<string>();
    const inner = new Map<string, InnerNode>();
    try {
      for (const line of treeLines(file)) {
        hashes.add(line.hash);
        if (line.level > 0) inner.set(line.hash, { level: line.level, hash: line.hash, children: (JSON.parse(line.json) as { children: string[] }).children });
      }
    } catch {
      return null;
    }
    if (!hashes.has(meta.root) || hashes.size > meta.nodeCount) return null;
    return new StoredTree(file, meta, hashes, inner);
  }

  /** What planning asks: `get(hash)` an inner node, a leaf by its hash, undefined when not in the tree. */
  readonly nodes = {
    get: (hash: string): PlanNode | undefined => this.inner.get(hash) ?? (this.hashes.has(hash) ? { level: 0, hash } : undefined),
    has: (hash: string): boolean => this.hashes.has(hash),
  };

  lines(): Generator<TreeLine> {
    return treeLines(this.file);
  }
}
