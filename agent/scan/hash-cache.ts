import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HashAlgorithm } from '../../functions/contract/entry.ts';
import { fsyncDir } from '../atomic-file.ts';

/**
 * The agent's local hash cache, one file per policy: `<cacheDir>/<policyId>.cache`. It only saves
 * re-reading files (and re-asking getfattr) for entries whose metadata did not change; the server, not
 * this file, is the authority on the baseline (a tampered cache hides nothing from the periodic full
 * re-hash).
 *
 * Format (UTF-8 text, one record per entry, sorted by path in code-unit order as the walk yields them):
 *   driftwatch-hash-cache 2\t<algorithm>\t<scansSinceFull, 10 digits>
 *   <path>\t<size>\t<mtimeMs>\t<ctimeMs>\t<inode>\t<hex hash, or empty>\t<extended attributes>
 *   ...
 *   #end\t<record count>
 * The extended attributes field is empty (none), `?` (not read) or their JSON. A path holding a tab,
 * CR, LF or backslash, or starting with `"`, is written JSON-quoted. Times are the exact lstat doubles
 * (sub-millisecond), so a rewrite within the same millisecond still misses. A file without the trailer
 * (truncated) or with another header is ignored as a whole.
 *
 * Nothing of it is held in memory: the scan reads it as a sorted stream alongside the walk (HashCacheReader)
 * and writes the next one as it goes (HashCacheWriter), so a million files cost the same memory as ten.
 * An unchanged rescan writes the same records: the writer then rewrites nothing and only updates the
 * fixed-width scan count of the header in place.
 */

const MAGIC = 'driftwatch-hash-cache 2';
/** The scan count is written zero-padded to this width, so it can be updated in place. */
const COUNT_WIDTH = 10;
const COUNT_FIELD = /^\d{10}$/;
const READ_CHUNK = 1 << 20;
const WRITE_FLUSH = 256 << 10;
const TRAILER = /\n#end\t(\d+)\n$/;

export interface FileMeta {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** One entry's cached facts. */
export interface CacheRecord extends FileMeta {
  path: string;
  /** Content hash ('' for anything but a hashed file). */
  hash: string;
  /** Extended attributes: '' none, '?' not read, else their JSON. */
  ext: string;
}

export function cacheFileName(cacheDir: string, policyId: string): string {
  const safe = policyId.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(cacheDir, `${safe}.cache`);
}

function encodePath(path: string): string {
  return /[\t\n\r\\]/.test(path) || path.startsWith('"') ? JSON.stringify(path) : path;
}

function decodePath(text: string): string {
  return text.startsWith('"') ? (JSON.parse(text) as string) : text;
}

/** The line of a record (with its newline). */
export function recordLine(r: CacheRecord): string {
  return `${encodePath(r.path)}\t${r.size}\t${r.mtimeMs}\t${r.ctimeMs}\t${r.ino}\t${r.hash}\t${r.ext}\n`;
}

const headerLine = (algorithm: string, scansSinceFull: number): string => `${MAGIC}\t${algorithm}\t${String(scansSinceFull).padStart(COUNT_WIDTH, '0')}\n`;

/** A record line parsed, or null when it is not one. */
function parseRecord(line: string): CacheRecord | null {
  const t = [line.indexOf('\t')];
  for (let k = 1; k < 6; k++) t.push(line.indexOf('\t', t[k - 1]! + 1));
  if (t[0]! <= 0 || t[5]! < 0 || line.indexOf('\t', t[5]! + 1) >= 0) return null;
  const size = +line.slice(t[0]! + 1, t[1]);
  const mtimeMs = +line.slice(t[1]! + 1, t[2]);
  const ctimeMs = +line.slice(t[2]! + 1, t[3]);
  const ino = +line.slice(t[3]! + 1, t[4]);
  if (Number.isNaN(size + mtimeMs + ctimeMs + ino)) return null;
  try {
    return { path: decodePath(line.slice(0, t[0])), size, mtimeMs, ctimeMs, ino, hash: line.slice(t[4]! + 1, t[5]), ext: line.slice(t[5]! + 1) };
  } catch {
    return null;
  }
}

/** Reads a file line by line through one reused buffer, knowing the byte offset where each line ends. */
class LineReader {
  private buffer = Buffer.allocUnsafe(READ_CHUNK);
  /** Unread data is buffer[start, end). */
  private start = 0;
  private end = 0;
  /** File offset of buffer[0]. */
  private base = 0;
  private eof = false;
  /** File offset just past the last line returned. */
  offset = 0;

  constructor(private readonly fd: number) {}

  /** The next line without its newline, or null at the end (a last line without newline is dropped). */
  next(): string | null {
    for (;;) {
      const newline = this.buffer.indexOf(0x0a, this.start);
      if (newline >= 0 && newline < this.end) {
        const line = this.buffer.toString('utf8', this.start, newline);
        this.start = newline + 1;
        this.offset = this.base + this.start;
        return line;
      }
      if (this.eof) return null;
      // Keep the partial line at the front (growing the buffer for a line longer than it), read on.
      const rest = this.end - this.start;
      if (rest === this.buffer.length) {
        const grown = Buffer.allocUnsafe(this.buffer.length * 2);
        this.buffer.copy(grown, 0, this.start, this.end);
        this.buffer = grown;
      } else this.buffer.copy(this.buffer, 0, this.start, this.end);
      this.base += this.start;
      this.start = 0;
      this.end = rest;
      const n = readSync(this.fd, this.buffer, rest, this.buffer.length - rest, this.base + rest);
      if (n === 0) this.eof = true;
      this.end += n;
    }
  }
}

/** Identity of a cache file as opened: a writer that replaced it (rename) or wrote to it changes it. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const sameFile = (st: FileIdentity, source: FileIdentity): boolean =>
  st.ino === source.ino && st.size === source.size && st.mtimeMs === source.mtimeMs && st.ctimeMs === source.ctimeMs;

/** What the header of a cache file says, and where. */
export interface CacheFileInfo {
  file: string;
  algorithm: string;
  /** Scans since the last full re-hash, as stored. */
  scansSinceFull: number;
  /** Where the fixed-width scan count sits (null: the header has no such field). */
  countOffset: number | null;
  /** Records, as the trailer says. */
  count: number;
  source: FileIdentity;
}

/**
 * Opens a cache file for reading: its header and trailer are checked first (a file without the trailer
 * was cut short: undefined, and everything is re-hashed). Answers the open reader.
 */
function openCache(file: string): { fd: number; info: CacheFileInfo; lines: LineReader } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const tail = Buffer.alloc(Math.min(64, st.size));
    readSync(fd, tail, 0, tail.length, st.size - tail.length);
    const trailer = TRAILER.exec(tail.toString('latin1'));
    if (!trailer) throw new Error('no trailer');
    const lines = new LineReader(fd);
    const header = lines.next();
    const fields = header?.split('\t') ?? [];
    const [magic, algorithm, since] = fields;
    if (magic !== MAGIC || !algorithm) throw new Error('foreign');
    // Offsets in bytes: the header is written by this module, ASCII up to the count.
    const countOffset = fields.length === 3 && COUNT_FIELD.test(since!) && /^[\x20-\x7e]*$/.test(algorithm) ? MAGIC.length + 1 + algorithm.length + 1 : null;
    const info: CacheFileInfo = {
      file,
      algorithm,
      scansSinceFull: Number(since) || 0,
      countOffset,
      count: Number(trailer[1]),
      source: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs },
    };
    return { fd, info, lines };
  } catch {
    closeSync(fd);
    return undefined;
  }
}

/**
 * The previous cache as a cursor moving forward with the walk: `lookup` asks for paths in increasing
 * order and gets the record when size, mtime, ctime and inode all match. One chunk in memory.
 */
export class HashCacheReader {
  private current: CacheRecord | null | undefined;
  private closed = false;

  private constructor(
    readonly info: CacheFileInfo,
    private readonly fd: number,
    private readonly lines: LineReader,
  ) {}

  /** Undefined when the file is missing, foreign or damaged (then everything is re-hashed). */
  static open(file: string): HashCacheReader | undefined {
    const opened = openCache(file);
    return opened && new HashCacheReader(opened.info, opened.fd, opened.lines);
  }

  get algorithm(): string {
    return this.info.algorithm;
  }

  get scansSinceFull(): number {
    return this.info.scansSinceFull;
  }

  /** The next record in file order, or null at the end. */
  next(): CacheRecord | null {
    if (this.current !== undefined) {
      const record = this.current;
      this.current = undefined;
      return record;
    }
    if (this.closed) return null;
    const line = this.lines.next();
    const record = line === null || line.startsWith('#end\t') ? null : parseRecord(line);
    if (record === null) this.close();
    return record;
  }

  /** The next record without consuming it. */
  peek(): CacheRecord | null {
    if (this.current === undefined) this.current = this.next();
    return this.current;
  }

  /**
   * The record of `path` when its metadata equals `meta`, else undefined. Paths must be asked in
   * increasing order: records before `path` are passed over for good.
   */
  lookup(path: string, meta: FileMeta): CacheRecord | undefined {
    for (let r = this.peek(); r !== null; r = this.peek()) {
      if (r.path > path) return undefined;
      this.current = undefined;
      if (r.path === path) return r.size === meta.size && r.mtimeMs === meta.mtimeMs && r.ctimeMs === meta.ctimeMs && r.ino === meta.ino ? r : undefined;
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current = null;
    closeSync(this.fd);
  }
}

/**
 * Writes the next cache file while the walk runs (records stream out in 256 KiB writes), then
 * `commit()` fsyncs it and renames it over the old file: a crash leaves either the old cache or the new
 * one, never a torn file. `abort()` removes the temporary file. Records must come in path order.
 *
 * Given the file it replaces (`previous`, as opened), records that repeat its records one for one, in
 * order, are held back rather than written: while that lasts nothing is written at all, and when a
 * record differs the ones held back are copied from `previous` first (bytes, not re-parsed). An unchanged
 * rescan thus ends with no new file: `commit()` only updates the header's fixed-width scan count in place
 * (one small write, fsynced), or rewrites the file when it was replaced since or has no such field.
 */
export class HashCacheWriter {
  private tempFile: string | undefined;
  private fd: number | undefined;
  private pending = '';
  private count = 0;
  /** Records that matched `previous` so far and were held back; null once writing. */
  private held: number | null = null;
  /** The previous file's record lines, compared with the records added while holding back. */
  private previousLines: LineReader | undefined;
  private previousFd: number | undefined;
  /** Offsets in the previous file: after its header, and after the last record held back. */
  private previousStart = 0;
  private heldEnd = 0;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly algorithm: HashAlgorithm,
    private readonly scansSinceFull: number,
    private readonly previous?: CacheFileInfo,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    if (previous && previous.algorithm === algorithm) {
      const opened = openCache(previous.file);
      if (opened && sameFile(opened.info.source, previous.source)) {
        this.previousFd = opened.fd;
        this.previousLines = opened.lines;
        this.previousStart = this.heldEnd = opened.lines.offset;
        this.held = 0;
      } else if (opened) closeSync(opened.fd);
    }
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

  private closePrevious(): void {
    if (this.previousFd !== undefined) closeSync(this.previousFd);
    this.previousFd = undefined;
    this.previousLines = undefined;
  }

  /** Stops holding back: opens the temp file and copies the records held so far from the previous file. */
  private release(): void {
    const from = this.previousStart;
    const to = this.heldEnd;
    const fd = this.previousFd;
    this.held = null;
    this.open();
    this.flush();
    if (fd !== undefined && to > from) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      for (let at = from; at < to; ) {
        const n = readSync(fd, chunk, 0, Math.min(READ_CHUNK, to - at), at);
        if (n === 0) throw new Error('cache file shrank while copying');
        this.writeAll(chunk.subarray(0, n));
        at += n;
      }
    }
    this.closePrevious();
  }

  add(record: CacheRecord): void {
    if (this.closed) return; // a hash that finished after abort()
    this.count += 1;
    const line = recordLine(record);
    if (this.held !== null) {
      const previous = this.previousLines!.next();
      if (previous !== null && `${previous}\n` === line) {
        this.held += 1;
        this.heldEnd = this.previousLines!.offset;
        return;
      }
      this.release();
    }
    this.pending += line;
    if (this.pending.length >= WRITE_FLUSH) this.flush();
  }

  private writeAll(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) offset += writeSync(this.fd!, data, offset, data.length - offset);
  }

  private flush(): void {
    if (this.fd === undefined || this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    // Written as a string: encoded natively, no JavaScript buffer per flush left for the GC.
    const written = writeSync(this.fd, text, null, 'utf8');
    if (written < Buffer.byteLength(text)) this.writeAll(Buffer.from(text, 'utf8').subarray(written)); // a short write: the rest
  }

  commit(): void {
    if (this.closed) throw new Error('cache writer already closed');
    if (this.held !== null) {
      const rest = this.previousLines!.next();
      if (rest !== null && rest === `#end\t${this.held}` && this.updateCountInPlace()) {
        this.closed = true;
        this.closePrevious();
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
   * caller rewrites the file) when the file is no longer the one opened or has no fixed-width count.
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
      if (!sameFile(fstatSync(fd), previous.source)) return false;
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

  /** Whether the file is still the one `previous` was opened from (no other writer replaced it). */
  private isSource(): boolean {
    try {
      return sameFile(statSync(this.file), this.previous!.source);
    } catch {
      return false;
    }
  }

  abort(): void {
    this.closed = true;
    this.held = null;
    this.closePrevious();
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
