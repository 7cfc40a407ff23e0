import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { HashAlgorithm } from '../../functions/contract/entry.ts';

/**
 * The agent's local hash cache, one file per policy: `<cacheDir>/<policyId>.cache`. It only saves
 * re-reading files whose metadata did not change; the server, not this file, is the authority on the
 * baseline (a tampered cache hides nothing from the periodic full re-hash).
 *
 * Format (UTF-8 text, one record per line, written in walk order):
 *   driftwatch-hash-cache 1\t<algorithm>\t<scansSinceFull>
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
 */

const MAGIC = 'driftwatch-hash-cache 1';
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

function decodePath(text: string): string {
  return text.startsWith('"') ? (JSON.parse(text) as string) : text;
}

export class HashCache {
  private readonly slots = new Map<string, number>();
  private meta: Float64Array;
  private hashes: string[] = [];

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
      if ((slot + 1) * 4 > this.meta.length) {
        const grown = new Float64Array(this.meta.length * 2);
        grown.set(this.meta);
        this.meta = grown;
      }
    } else {
      this.hashes[slot] = hash;
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
    const capacity = Math.ceil(fstatSync(fd).size / 90); // records are ~120 bytes: no regrowth
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    const decoder = new StringDecoder('utf8');
    let cache: HashCache | undefined;
    let rest = '';
    let ended = false;
    let count = 0;
    const parseLine = (line: string): boolean => {
      if (cache === undefined) {
        const [magic, algorithm, since] = line.split('\t');
        if (magic !== MAGIC || !algorithm) return false;
        cache = new HashCache(algorithm, Number(since) || 0, capacity);
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
    return ended ? cache : undefined;
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
 */
export class HashCacheWriter {
  readonly tempFile: string;
  private fd: number | undefined;
  private pending = '';
  private count = 0;

  constructor(
    readonly file: string,
    algorithm: HashAlgorithm,
    scansSinceFull: number,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.tempFile = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    this.fd = openSync(this.tempFile, 'w', 0o600);
    this.pending = `${MAGIC}\t${algorithm}\t${scansSinceFull}\n`;
  }

  add(path: string, meta: FileMeta, hash: string): void {
    this.pending += `${encodePath(path)}\t${meta.size}\t${meta.mtimeMs}\t${meta.ctimeMs}\t${meta.ino}\t${hash}\n`;
    this.count += 1;
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
    if (this.fd === undefined) throw new Error('cache writer already closed');
    this.pending += `#end\t${this.count}\n`;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.tempFile, this.file);
    syncDirectory(dirname(this.file));
  }

  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = undefined;
    }
    try {
      unlinkSync(this.tempFile);
    } catch {
      /* never created or already gone */
    }
  }
}

/** Makes a rename durable (best effort: not every platform can fsync a directory). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* e.g. windows */
  }
}
