import { readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { AgentPolicy } from '../../functions/contract/agent.schemas.ts';
import { OPTIONAL_ATTRIBUTES, type HashAlgorithm, type OptionalAttribute, type PathEntry } from '../../functions/contract/entry.ts';
import { compileTarget, normalizePath, relativeTo, type TargetPlatform } from '../../functions/contract/targets.ts';
import { encodeWirePath } from '../../functions/contract/wire-path.ts';
import { entryType, toEntry, type StatFields } from './entry.ts';
import { FileHasher, NotRegularFileError } from './hash.ts';
import { HashPool, WorkerFailure } from './hash-pool.ts';
import { cacheFileName, HashCacheReader, HashCacheWriter, type CacheRecord } from './hash-cache.ts';
import { OrderedWindow, type Slot } from './ordered-window.ts';
import { Throttle } from './throttle.ts';
import { mergeWalks, walkTarget, type FsPath, type WalkEntry } from './walk.ts';
import { XattrBatches } from './xattr-batches.ts';
import type { ExtendedAttributes } from './xattrs.ts';

/**
 * Scans one policy: walks every target (in path order, merged, the first target winning a path),
 * records one Entry per path in scope, hashes regular files (reusing the cached hash when size, mtime,
 * ctime and inode are unchanged), reads extended attributes, ACLs and capabilities, and rewrites the
 * policy's hash cache. The result's entries are sorted and unique, ready for buildTree().
 */

export interface ScanPolicyOptions {
  /** Directory where this policy's hash cache lives (the caller passes <stateDir>/cache). */
  cacheDir: string;
  /** Re-hash every file even when size/mtime/ctime/inode are unchanged. */
  full: boolean;
  /**
   * Optional: limit the walk to these absolute paths (real-time rescans of a few changed paths); default
   * whole policy. The result then holds exactly the in-scope entries at or below these paths; an
   * in-scope path at or below them that is absent from the result no longer exists. Such a scan neither
   * counts towards nor triggers the periodic full re-hash.
   */
  onlyPaths?: string[];
  /**
   * Worker threads hashing files of 1 MiB and more while the walk goes on (cpuUsage "high" only).
   * Default: the number of cores when there are at least 2, else 0; 0 hashes everything in this thread.
   */
  hashThreads?: number;
  /**
   * Stops the scan at its next entry once aborted (the walk yields to the event loop every few ms):
   * scanPolicy then rejects with the signal's reason and leaves the hash cache as it was.
   */
  signal?: AbortSignal;
  /**
   * Receives every entry in path order as soon as it is complete (a TreeBuilder): the result's `entries`
   * then stays empty, and the scan holds no more than the widest directory and the tree's depth.
   */
  sink?: (entry: PathEntry) => void;
  /**
   * The last known entries for a place the scan could not see (an unknownPaths item: a path, or a
   * directory ending in `/` for what lies below it), asked in path order; they go into the result in
   * their place (carry-forward.ts).
   */
  carry?: (unknown: string) => Iterable<PathEntry>;
  /** Called every PROGRESS_MS or so while the scan runs. */
  onProgress?: (progress: ScanProgress) => void;
}

/** How far a scan got. */
export interface ScanProgress {
  entries: number;
  filesHashed: number;
  bytesHashed: number;
}

export interface ScanError {
  path: string;
  message: string;
}

export interface PolicyScanResult {
  policyId: string;
  /** Sorted by path (code-unit order, as sortEntries), no duplicates: ready for buildTree(). */
  entries: PathEntry[];
  filesScanned: number; // number of entries recorded
  filesHashed: number; // how many were actually read and hashed this time (fast path skipped the rest)
  bytesHashed: number;
  full: boolean; // whether this scan re-hashed everything (opts.full, the periodic full re-hash, or no usable cache)
  /** Entries listed but not recorded: their metadata could not be read (not because they vanished). */
  skipped: number;
  /** Entries recorded with `unreadable`: metadata known, content (or listing) not. */
  unreadable: number;
  /** Entries carried forward from the last known state (where the scan could not see). */
  carried: number;
  /** Entries whose extended attributes were asked of getfattr (the others kept their cached ones). */
  attributesRead: number;
  /** Attributes this scan could not record on this host (getfattr missing): xattrs, acl, caps. */
  unsupportedAttributes: OptionalAttribute[];
  /**
   * Where the scan could not see what is there: a path (its own metadata unknown) or a path ending in
   * `/` (what lies below it). The last accepted state of those paths stands in for them (run-scan.ts).
   */
  unknownPaths: string[];
  /** Entries skipped because they vanished or could not be read mid-walk, and scan-wide notes (path ''). */
  errors?: ScanError[];
}

export const DEFAULT_FULL_REHASH_EVERY = 7;
export const PROGRESS_MS = 500;
/** Files this large go to the hash threads (smaller ones cost less to hash than to hand over). */
export const POOL_MIN_BYTES = 1 << 20;
const MAX_DEFAULT_THREADS = 4;

const platformOf = (): TargetPlatform => (process.platform === 'win32' ? 'windows' : 'linux');

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Minimal set of paths: normalised, sorted, none below another. */
function minimalPaths(paths: readonly string[], platform: TargetPlatform): string[] {
  const sorted = [...new Set(paths.map((p) => normalizePath(p, platform)))].sort();
  const kept: string[] = [];
  for (const p of sorted) {
    if (!kept.some((k) => relativeTo(k, p, platform) !== null)) kept.push(p);
  }
  return kept;
}

const NOT_THERE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENOTFILE', 'ENXIO']);

/**
 * The error code to record as `unreadable` when a file in hand could not be read (EACCES, EPERM from
 * an LSM, EIO), or null when it is no longer the file that was listed (vanished, replaced): skipped.
 */
export function unreadableCode(error: unknown): string | null {
  if (error instanceof NotRegularFileError) return null;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || NOT_THERE.has(code) || !/^E[A-Z0-9]{1,31}$/.test(code)) return null;
  return code;
}

/** Cached extended attributes: null for none, undefined when the record is damaged (they are read again). */
function parseExt(ext: string): ExtendedAttributes | null | undefined {
  if (ext === '') return null;
  try {
    const parsed = JSON.parse(ext) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ExtendedAttributes) : undefined;
  } catch {
    return undefined;
  }
}

/** Entries sorted by path? (the walk's order; checked, since everything downstream relies on it). */
function assertOrdered(previous: string | null, path: string): void {
  if (previous !== null && !(previous < path)) throw new Error(`walk out of order: ${path} after ${previous}`);
}

export async function scanPolicy(policy: AgentPolicy, opts: ScanPolicyOptions): Promise<PolicyScanResult> {
  const platform = platformOf();
  const algorithm: HashAlgorithm = policy.hashAlgorithm ?? 'sha256';
  const every = Number.isInteger(policy.fullRehashEvery) && policy.fullRehashEvery >= 1 ? policy.fullRehashEvery : DEFAULT_FULL_REHASH_EVERY;
  const onlyPaths = opts.onlyPaths ? minimalPaths(opts.onlyPaths, platform) : undefined;
  opts.signal?.throwIfAborted();

  // Created first so that reading and writing the cache count towards the CPU share too.
  const throttle = new Throttle(policy.cpuUsage ?? 'high');
  const cacheFile = cacheFileName(opts.cacheDir, policy.id);
  const opened = HashCacheReader.open(cacheFile);
  const cache = opened && opened.algorithm === algorithm ? opened : undefined;
  if (opened && !cache) opened.close();

  let full: boolean;
  let scansSinceFull: number;
  if (onlyPaths) {
    full = opts.full;
    scansSinceFull = cache?.scansSinceFull ?? 0;
  } else {
    full = opts.full || !cache || cache.scansSinceFull >= every - 1;
    scansSinceFull = full || !cache ? 0 : cache.scansSinceFull + 1;
  }
  const reuse = full ? undefined : cache;
  if (throttle.due()) await throttle.pause();

  const hasher = new FileHasher(algorithm, throttle);
  // Given the previous file, an unchanged rescan rewrites nothing but the header's scan count.
  const writer = new HashCacheWriter(cacheFile, algorithm, scansSinceFull, cache?.info);
  // onlyPaths: records elsewhere stay valid and are merged into the new file in path order.
  const carryOver = onlyPaths && cache ? HashCacheReader.open(cacheFile) : undefined;
  const rescanned = (path: string) => onlyPaths!.some((only) => relativeTo(only, path, platform) !== null);
  const writeRecord = (record: CacheRecord): void => {
    if (carryOver) {
      for (let r = carryOver.peek(); r !== null && r.path <= record.path; r = carryOver.peek()) {
        carryOver.next();
        if (r.path < record.path && !rescanned(r.path)) writer.add(r);
      }
    }
    writer.add(record);
  };

  const entries: PathEntry[] = [];
  const errors: ScanError[] = [];
  const unknownPaths: string[] = [];
  let recorded = 0;
  let filesHashed = 0;
  let bytesHashed = 0;
  let skipped = 0;
  let unreadable = 0;
  let carried = 0;
  let attributesRead = 0;
  let lastPath: string | null = null;
  const sink = opts.sink ?? ((entry: PathEntry) => void entries.push(entry));

  const fail = (path: string, error: unknown): void => {
    errors.push({ path, message: errorMessage(error) });
  };

  const window = new OrderedWindow((slot) => {
    slot.handle?.release();
    const entry = slot.entry;
    if (!entry) return;
    if (slot.ext) Object.assign(entry, slot.ext);
    recorded += 1;
    if (entry.unreadable) unreadable += 1;
    sink([slot.path, entry]);
    if (slot.meta && !entry.unreadable) {
      const ext = slot.extRead ? (slot.ext && Object.keys(slot.ext).length > 0 ? JSON.stringify(slot.ext) : '') : (slot.extCached ?? '?');
      writeRecord({ path: slot.path, size: slot.meta.size, mtimeMs: slot.meta.mtimeMs, ctimeMs: slot.meta.ctimeMs, ino: slot.meta.ino, hash: entry.hash?.value ?? '', ext });
    }
  });
  const xattrs = new XattrBatches(window);

  const cpuCount = availableParallelism();
  const threads = (policy.cpuUsage ?? 'high') === 'high' ? (opts.hashThreads ?? (cpuCount >= 2 ? Math.min(cpuCount, MAX_DEFAULT_THREADS) : 0)) : 0;
  const pool = threads > 0 ? new HashPool(threads) : undefined;
  let aborted = false;

  /** A file in hand that could not be hashed: recorded unreadable, or dropped when it is gone. */
  const notHashed = (slot: Slot, st: StatFields, error: unknown): void => {
    const code = unreadableCode(error);
    if (code === null) {
      fail(slot.path, error);
      slot.entry = null;
      return;
    }
    slot.entry = toEntry('file', st);
    slot.entry.unreadable = code;
  };

  const hashed = (slot: Slot, result: { value: string; bytes: number; stats: StatFields }): void => {
    filesHashed += 1;
    bytesHashed += result.bytes;
    slot.entry = toEntry('file', result.stats, { algorithm, value: result.value });
    slot.meta = result.stats;
  };

  /** Hashes in this thread; a promise only for a file larger than the buffer. */
  const hashHere = (slot: Slot, fsPath: FsPath, st: StatFields): void | Promise<void> => {
    let pending;
    try {
      pending = hasher.hash(fsPath);
    } catch (error) {
      notHashed(slot, st, error);
      return;
    }
    if (!(pending instanceof Promise)) return hashed(slot, pending);
    slot.waits += 1;
    return pending
      .then(
        (result) => hashed(slot, result),
        (error: unknown) => notHashed(slot, st, error),
      )
      .finally(() => window.done(slot));
  };

  const hashInPool = (slot: Slot, fsPath: FsPath, st: StatFields): void => {
    slot.waits += 1;
    pool!
      .hash(fsPath, algorithm)
      .then(
        (result) => hashed(slot, result),
        async (error: unknown) => {
          if (!(error instanceof WorkerFailure)) return notHashed(slot, st, error);
          if (!aborted) await hashHere(slot, fsPath, st); // the thread died: hash it here instead
        },
      )
      .finally(() => window.done(slot));
  };

  const recordFile = async (slot: Slot, item: WalkEntry, cached: CacheRecord | undefined): Promise<void> => {
    const st = item.stats;
    if (cached?.hash) {
      slot.entry = toEntry('file', st, { algorithm, value: cached.hash });
      return;
    }
    // Below an open directory handle the path is only valid while the walk holds it: hash here.
    if (pool && st.size >= POOL_MIN_BYTES && !item.handle) {
      if (!pool.ready) await pool.whenReady();
      return hashInPool(slot, item.fsPath, st);
    }
    await hashHere(slot, item.fsPath, st);
  };

  const record = async (item: WalkEntry): Promise<void> => {
    const st = item.stats;
    const slot: Slot = { path: item.path, entry: null, waits: 1, handle: item.handle, meta: st };
    window.add(slot);
    const cached = reuse?.lookup(item.path, st); // Stats is a FileMeta: no copy
    if (st.isFile()) await recordFile(slot, item, cached);
    else if (st.isSymbolicLink()) {
      try {
        slot.entry = toEntry('symlink', st, undefined, encodeWirePath(readlinkSync(item.fsPath, 'buffer')));
      } catch (error) {
        fail(item.path, error);
      }
    } else {
      slot.entry = toEntry(entryType(st), st);
      if (item.unlistable) {
        slot.entry.unreadable = item.unlistable;
        fail(item.path, new Error(`cannot list: ${item.unlistable}`));
      }
    }
    // Extended attributes: unchanged metadata (ctime included, which every xattr change moves) keeps the cached ones.
    const reused = cached && cached.ext !== '?' ? parseExt(cached.ext) : undefined;
    if (reused !== undefined) {
      slot.extCached = cached!.ext;
      if (reused !== null) slot.ext = reused;
    } else if ((slot.entry || slot.waits > 1) && xattrs.available) {
      slot.extRead = true;
      attributesRead += 1;
      xattrs.add(slot, item.fsPath);
    }
    window.done(slot);
  };

  /** Last known entries stand in where the scan could not see. */
  const carryForward = (unknown: string): void => {
    unknownPaths.push(unknown);
    if (!opts.carry) return;
    for (const entry of opts.carry(unknown)) {
      carried += 1;
      window.add({ path: entry[0], entry: entry[1], waits: 0 });
    }
  };

  let nextProgress = performance.now() + PROGRESS_MS;
  const progress = (): void => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (now < nextProgress) return;
    nextProgress = now + PROGRESS_MS;
    opts.onProgress({ entries: recorded, filesHashed, bytesHashed });
  };

  const signal = opts.signal;
  try {
    const compiled = policy.targets.map((target) => compileTarget(target, { platform }));
    let count = 0;
    for (const item of mergeWalks(compiled.flatMap((target) => walkTarget(target, onlyPaths)))) {
      if (signal?.aborted) throw signal.reason ?? new Error('scan aborted');
      assertOrdered(lastPath, item.kind === 'unlisted' ? `${item.path}/` : item.path);
      if (item.kind !== 'unlisted') lastPath = item.path;
      switch (item.kind) {
        case 'entry':
          await record(item);
          break;
        case 'vanished':
          fail(item.path, Object.assign(new Error(`${item.path} vanished during the scan`), { code: 'ENOENT' }));
          break;
        case 'skipped':
          skipped += 1;
          fail(item.path, item.error);
          carryForward(item.path);
          break;
        case 'unlisted':
          carryForward(item.path.endsWith('/') ? item.path : `${item.path}/`);
          break;
      }
      if (window.size >= window.limit) {
        xattrs.flush(); // the head may be waiting for a batch that would only fill later
        await window.whenRoom();
      }
      if (throttle.due()) await throttle.pause();
      if ((++count & 255) === 0) progress();
    }
    await xattrs.finish();
    await window.drained();
    if (carryOver) for (let r = carryOver.next(); r !== null; r = carryOver.next()) if (!rescanned(r.path)) writer.add(r);
    writer.commit();
  } catch (error) {
    aborted = true;
    for (const slot of window.pending) slot.handle?.release();
    writer.abort();
    throw error;
  } finally {
    cache?.close();
    carryOver?.close();
    await pool?.close();
  }

  if (xattrs.missing) errors.push({ path: '', message: xattrs.missing });
  if (throttle.share < 1) await throttle.pause(); // settle the last slice: the level holds for the whole scan
  const unsupportedAttributes: OptionalAttribute[] = xattrs.missing ? [...OPTIONAL_ATTRIBUTES] : [];
  return {
    policyId: policy.id,
    entries,
    filesScanned: recorded,
    filesHashed,
    bytesHashed,
    full,
    skipped,
    unreadable,
    carried,
    attributesRead,
    unsupportedAttributes,
    unknownPaths,
    errors,
  };
}
