import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { HashAlgorithm } from '../../functions/contract/entry.ts';
import { fsyncDir } from '../atomic-file.ts';

/**
 * The agent's local hash cache, one file per policy: `<cacheDir>/<policyId>.cache`. It only saves
 * re-reading files whose metadata did not change; the server, not this file, is the authority on the
 * baseline (a tampered cache hides nothing from the periodic full re-hash).
 *
 * Format (UTF-8 text, one record per line, written in walk order):
 *   driftwatch-hash-cache 1\t<algorithm>\t<scansSinceFull, 10 digits>
 *   <path>\t<size>\t<mtimeMs>\t<ctimeMs>\t<inode>\t<hex hash>
 *   ...
 *   #end\t<record count>
 * A path holding a tab, CR, LF or backslash, or starting with `"`, is written JSON-quoted. Times are
 * the exact lstat doubles (sub-millisecond), so a rewrite within the same millisecond still misses.
 * A file without the trailer (truncated) or with another header is ignored as a whole. About 120 bytes
 * per file: 2.4 MB for 20,000 files, read in chunks, so 1M files need no single huge string.
 *
 * In memory the loaded cache is one Map path -> slot plus a Float64Array of the four metadata numbers
 * and an array of hash strings: the hash strings are shared with the new entries when reused.
 *
 * An unchanged rescan writes the same records in the same order: the writer then rewrites nothing and
 * only updates the fixed-width scan count of the header in place (see HashCacheWriter).
 */

const MAGIC = 'driftwatch-hash-cache 1';
/** The scan count is written zero-padded to this width, so it can be updated in place. */
const COUNT_WIDTH = 10;
const COUNT_FIELD = /^\d{10}$/;
const READ_CHUNK = 4 << 20;
const WRITE_FLUSH = 256 << 10;

export interface FileMeta {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export function cacheFileName(cacheDir: string, policyId: string): string {
  const safe = policyId.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(cacheDir, `${safe}.cache`);
}

function encodePath(path: string): string {
  return /[\t\n\r\\]/.test(path) || path.startsWith('"') ? JSON.stringify(path) : path;
}

function recordLine(path: string, size: number, mtimeMs: number, ctimeMs: number, ino: number, hash: string): string {
  return `${encodePath(path)}\t${size}\t${mtimeMs}\t${ctimeMs}\t${ino}\t${hash}\n`;
}

const headerLine = (algorithm: string, scansSinceFull: number): string => `${MAGIC}\t${algorithm}\t${String(scansSinceFull).padStart(COUNT_WIDTH, '0')}\n`;

function decodePath(text: string): string {
  return text.startsWith('"') ? (JSON.parse(text) as string) : text;
}

export class HashCache {
  private readonly slots = new Map<string, number>();
  private meta: Float64Array;
  private hashes: string[] = [];
  /** Path of each slot, in the order records were added (file order for a loaded cache). */
  private paths: string[] = [];
  /**
   * Where the header's fixed-width scan count sits in the file it was loaded from (null when the header
   * has no such field, or the cache was not loaded from a file).
   */
  countOffset: number | null = null;
  /** The file this cache was loaded from, as it was then (null when not loaded from a file). */
  source: FileIdentity | null = null;
  /** False once a path was added twice: slot order then no longer mirrors the file's records. */
  private ordered = true;

  constructor(
    readonly algorithm: HashAlgorithm | string,
    /** Scans since the last full re-hash, as stored. */
    readonly scansSinceFull: number,
    capacity = 1024,
  ) {
    this.meta = new Float64Array(Math.max(4, capacity * 4));
  }

  get size(): number {
    return this.hashes.length;
  }

  add(path: string, meta: FileMeta, hash: string): void {
    this.addValues(path, meta.size, meta.mtimeMs, meta.ctimeMs, meta.ino, hash);
  }

  addValues(path: string, size: number, mtimeMs: number, ctimeMs: number, ino: number, hash: string): void {
    let slot = this.slots.get(path);
    if (slot === undefined) {
      slot = this.hashes.length;
      this.slots.set(path, slot);
      this.hashes.push(hash);
      this.paths.push(path);
      if ((slot + 1) * 4 > this.meta.length) {
        const grown = new Float64Array(this.meta.length * 2);
        grown.set(this.meta);
        this.meta = grown;
      }
    } else {
      this.hashes[slot] = hash;
      this.ordered = false;
    }
    const m = this.meta;
    const i = slot * 4;
    m[i] = size;
    m[i + 1] = mtimeMs;
    m[i + 2] = ctimeMs;
    m[i + 3] = ino;
  }

  /** The cached hash when size, mtime, ctime and inode all match `meta`, else undefined. */
  lookup(path: string, meta: FileMeta): string | undefined {
    const slot = this.slots.get(path);
    if (slot === undefined) return undefined;
    const m = this.meta;
    const i = slot * 4;
    if (m[i] === meta.size && m[i + 1] === meta.mtimeMs && m[i + 2] === meta.ctimeMs && m[i + 3] === meta.ino) {
      return this.hashes[slot];
    }
    return undefined;
  }

  /**
   * True when the record in `slot` is exactly (path, meta, hash): what the writer checks to tell an
   * unchanged rescan, record by record in file order.
   */
  sameAt(slot: number, path: string, meta: FileMeta, hash: string): boolean {
    if (slot >= this.paths.length || this.paths[slot] !== path || this.hashes[slot] !== hash) return false;
    const m = this.meta;
    const i = slot * 4;
    return m[i] === meta.size && m[i + 1] === meta.mtimeMs && m[i + 2] === meta.ctimeMs && m[i + 3] === meta.ino;
  }

  /** Whether the slots mirror the records of the file it was loaded from, one to one and in order. */
  get mirrorsFile(): boolean {
    return this.ordered;
  }

  /** The record in `slot` as a cache line (for the writer replaying records it held back). */
  lineAt(slot: number): string {
    const m = this.meta;
    const i = slot * 4;
    return recordLine(this.paths[slot]!, m[i]!, m[i + 1]!, m[i + 2]!, m[i + 3]!, this.hashes[slot]!);
  }

  /** Calls `fn` for every record (for carrying unvisited records into the next cache file). */
  forEach(fn: (path: string, meta: FileMeta, hash: string) => void): void {
    const m = this.meta;
    for (const [path, slot] of this.slots) {
      const i = slot * 4;
      fn(path, { size: m[i]!, mtimeMs: m[i + 1]!, ctimeMs: m[i + 2]!, ino: m[i + 3]! }, this.hashes[slot]!);
    }
  }
}

/** Loads a cache file (about 120 bytes per record); undefined when it is missing, foreign, or damaged (then everything is re-hashed). */
export function loadHashCache(file: string): HashCache | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const capacity = Math.ceil(st.size / 90); // records are ~120 bytes: no regrowth
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    const decoder = new StringDecoder('utf8');
    let cache: HashCache | undefined;
    let rest = '';
    let ended = false;
    let count = 0;
    const parseLine = (line: string): boolean => {
      if (cache === undefined) {
        const fields = line.split('\t');
        const [magic, algorithm, since] = fields;
        if (magic !== MAGIC || !algorithm) return false;
        cache = new HashCache(algorithm, Number(since) || 0, capacity);
        // Offsets in bytes: the header is written by this module, ASCII up to the count.
        if (fields.length === 3 && COUNT_FIELD.test(since!) && /^[\x20-\x7e]*$/.test(algorithm)) {
          cache.countOffset = MAGIC.length + 1 + algorithm.length + 1;
        }
        return true;
      }
      if (ended) return line === '';
      if (line.startsWith('#end\t')) {
        ended = Number(line.slice(5)) === count;
        return ended;
      }
      const t1 = line.indexOf('\t');
      const t2 = line.indexOf('\t', t1 + 1);
      const t3 = line.indexOf('\t', t2 + 1);
      const t4 = line.indexOf('\t', t3 + 1);
      const t5 = line.indexOf('\t', t4 + 1);
      if (t1 <= 0 || t5 < 0 || t5 === line.length - 1 || line.indexOf('\t', t5 + 1) >= 0) return false;
      const size = +line.slice(t1 + 1, t2);
      const mtimeMs = +line.slice(t2 + 1, t3);
      const ctimeMs = +line.slice(t3 + 1, t4);
      const ino = +line.slice(t4 + 1, t5);
      if (Number.isNaN(size + mtimeMs + ctimeMs + ino)) return false;
      cache.addValues(decodePath(line.slice(0, t1)), size, mtimeMs, ctimeMs, ino, line.slice(t5 + 1));
      count += 1;
      return true;
    };
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      const text = n === 0 ? rest + decoder.end() : rest + decoder.write(buffer.subarray(0, n));
      const lines = text.split('\n');
      rest = n === 0 ? '' : lines.pop()!;
      for (const line of lines) {
        if (n === 0 && line === '') continue;
        if (!parseLine(line)) return undefined;
      }
      if (n === 0) break;
    }
    if (!ended || !cache) return undefined;
    cache.source = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    return cache;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the next cache file while the walk runs (records stream out in 256 KiB writes, nothing is
 * kept in memory), then `commit()` fsyncs it and renames it over the old file: a crash leaves either
 * the old cache or the new one, never a torn file. `abort()` removes the temporary file.
 *
 * Given the cache loaded from that same file (`previous`), records that repeat its records one for one,
 * in order, are held back rather than written: while that lasts nothing is written at all, and when a
 * record differs the ones held back are replayed from `previous` first. An unchanged rescan thus ends
 * with no new file: `commit()` only updates the header's fixed-width scan count in place (one small
 * write, fsynced; the file is otherwise what this scan would have written), or rewrites the file when
 * it was replaced since it was loaded or its header has no such field.
 */
export class HashCacheWriter {
  private tempFile: string | undefined;
  private fd: number | undefined;
  private pending = '';
  private count = 0;
  /** Records that matched `previous` so far and were held back; null once writing. */
  private held: number | null;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly algorithm: HashAlgorithm,
    private readonly scansSinceFull: number,
    private readonly previous?: HashCache,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.held = previous && previous.algorithm === algorithm && previous.mirrorsFile && previous.source ? 0 : null;
    if (this.held === null) this.open();
  }

  /** True while nothing was written: every record so far repeats the previous file. */
  get unchangedSoFar(): boolean {
    return this.held !== null;
  }

  private open(): void {
    this.tempFile = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    this.fd = openSync(this.tempFile, 'w', 0o600);
    this.pending = headerLine(this.algorithm, this.scansSinceFull);
  }

  /** Stops holding back: opens the temp file and writes the records held so far. */
  private release(): void {
    const held = this.held ?? 0;
    this.held = null;
    this.open();
    for (let slot = 0; slot < held; slot++) {
      this.pending += this.previous!.lineAt(slot);
      if (this.pending.length >= WRITE_FLUSH) this.flush();
    }
  }

  add(path: string, meta: FileMeta, hash: string): void {
    if (this.closed) return; // a hash that finished after abort()
    this.count += 1;
    if (this.held !== null) {
      if (this.previous!.sameAt(this.held, path, meta, hash)) {
        this.held += 1;
        return;
      }
      this.release();
    }
    this.pending += recordLine(path, meta.size, meta.mtimeMs, meta.ctimeMs, meta.ino, hash);
    if (this.pending.length >= WRITE_FLUSH) this.flush();
  }

  private flush(): void {
    if (this.fd === undefined || this.pending === '') return;
    const data = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    let offset = 0;
    while (offset < data.length) offset += writeSync(this.fd, data, offset, data.length - offset);
  }

  commit(): void {
    if (this.closed) throw new Error('cache writer already closed');
    if (this.held !== null) {
      if (this.held === this.previous!.size && this.updateCountInPlace()) {
        this.closed = true;
        return;
      }
      this.release();
    }
    this.closed = true;
    this.pending += `#end\t${this.count}\n`;
    this.flush();
    fsyncSync(this.fd!);
    closeSync(this.fd!);
    this.fd = undefined;
    renameSync(this.tempFile!, this.file);
    fsyncDir(dirname(this.file));
  }

  /**
   * The previous file holds exactly this scan's records: make its scan count this scan's. False (the
   * caller rewrites the file) when the file is no longer the one loaded or has no fixed-width count.
   */
  private updateCountInPlace(): boolean {
    const previous = this.previous!;
    if (previous.scansSinceFull === this.scansSinceFull) return this.isSource();
    const offset = previous.countOffset;
    if (offset === null) return false;
    let fd: number;
    try {
      fd = openSync(this.file, 'r+');
    } catch {
      return false;
    }
    try {
      if (!sameFile(fstatSync(fd), previous.source!)) return false;
      const count = Buffer.from(String(this.scansSinceFull).padStart(COUNT_WIDTH, '0'), 'latin1');
      if (count.length !== COUNT_WIDTH) return false;
      // One write of 10 bytes inside the first block: readers see the old count or the new one.
      if (writeSync(fd, count, 0, COUNT_WIDTH, offset) !== COUNT_WIDTH) return false;
      fsyncSync(fd);
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /** Whether the file is still the one `previous` was loaded from (no other writer replaced it). */
  private isSource(): boolean {
    try {
      return sameFile(statSync(this.file), this.previous!.source!);
    } catch {
      return false;
    }
  }

  abort(): void {
    this.closed = true;
    this.held = null;
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = undefined;
    }
    if (this.tempFile === undefined) return;
    try {
      unlinkSync(this.tempFile);
    } catch {
      /* never created or already gone */
    }
  }
}

/** Identity of a cache file as loaded: a writer that replaced it (rename) or wrote to it changes it. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const sameFile = (st: FileIdentity, source: FileIdentity): boolean =>
  st.ino === source.ino && st.size === source.size && st.mtimeMs === source.mtimeMs && st.ctimeMs === source.ctimeMs;

