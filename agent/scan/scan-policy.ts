import { readlinkSync, type Stats } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { AgentPolicy } from '../../functions/contract/agent.schemas.ts';
import type { HashAlgorithm, PathEntry } from '../../functions/contract/entry.ts';
import { compileTarget, normalizePath, relativeTo, type CompiledTarget, type TargetPlatform } from '../../functions/contract/targets.ts';
import { entryType, toEntry, type StatFields } from './entry.ts';
import { FileHasher } from './hash.ts';
import { HashPool, WorkerFailure } from './hash-pool.ts';
import { cacheFileName, HashCacheWriter, loadHashCache, type HashCache } from './hash-cache.ts';
import { Throttle } from './throttle.ts';
import { walkTarget, type WalkVisitor } from './walk.ts';

/**
 * Scans one policy: walks every target, records one Entry per path in scope, hashes regular files
 * (reusing the cached hash when size, mtime, ctime and inode are unchanged), and rewrites the policy's
 * hash cache. The result's entries are sorted and unique, ready for buildTree().
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
  /** Entries skipped because they vanished or could not be read mid-walk. */
  errors?: ScanError[];
}

export const DEFAULT_FULL_REHASH_EVERY = 7;
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

/** Could two targets record a common path? (One's walk base is at or below the other's.) */
function mayOverlap(a: CompiledTarget, b: CompiledTarget): boolean {
  return relativeTo(a.base, b.base, a.platform) !== null || relativeTo(b.base, a.base, a.platform) !== null;
}

/** Stable sort by path (code-unit order) and drop later duplicates: the first recorded entry wins. */
function sortUnique(entries: PathEntry[]): PathEntry[] {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = 0;
  for (let i = 0; i < entries.length; i++) {
    if (out > 0 && entries[out - 1]![0] === entries[i]![0]) continue;
    entries[out++] = entries[i]!;
  }
  entries.length = out;
  return entries;
}

export async function scanPolicy(policy: AgentPolicy, opts: ScanPolicyOptions): Promise<PolicyScanResult> {
  const platform = platformOf();
  const algorithm: HashAlgorithm = policy.hashAlgorithm ?? 'sha256';
  const every = Number.isInteger(policy.fullRehashEvery) && policy.fullRehashEvery >= 1 ? policy.fullRehashEvery : DEFAULT_FULL_REHASH_EVERY;
  const onlyPaths = opts.onlyPaths ? minimalPaths(opts.onlyPaths, platform) : undefined;
  opts.signal?.throwIfAborted();

  // Created first so that loading and writing the cache count towards the CPU share too.
  const throttle = new Throttle(policy.cpuUsage ?? 'high');
  const cacheFile = cacheFileName(opts.cacheDir, policy.id);
  const loaded = loadHashCache(cacheFile);
  const cache: HashCache | undefined = loaded && loaded.algorithm === algorithm ? loaded : undefined;

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
  // Given the loaded cache, an unchanged rescan rewrites nothing but the header's scan count.
  const writer = new HashCacheWriter(cacheFile, algorithm, scansSinceFull, cache);
  const entries: PathEntry[] = [];
  const errors: ScanError[] = [];
  let filesHashed = 0;
  let bytesHashed = 0;

  const fail = (path: string, error: unknown): void => {
    errors.push({ path, message: errorMessage(error) });
  };

  const cpuCount = availableParallelism();
  const threads = (policy.cpuUsage ?? 'high') === 'high' ? (opts.hashThreads ?? (cpuCount >= 2 ? Math.min(cpuCount, MAX_DEFAULT_THREADS) : 0)) : 0;
  const pool = threads > 0 ? new HashPool(threads) : undefined;
  const inPool = new Set<Promise<void>>();
  let aborted = false;

  const hashed = (path: string, result: { value: string; bytes: number; stats: StatFields }): void => {
    filesHashed += 1;
    bytesHashed += result.bytes;
    entries.push([path, toEntry('file', result.stats, { algorithm, value: result.value })]);
    writer.add(path, result.stats, result.value);
  };

  const hashHere = (path: string): void | Promise<void> => {
    let pending;
    try {
      pending = hasher.hash(path);
    } catch (error) {
      fail(path, error);
      return;
    }
    if (pending instanceof Promise) return pending.then((result) => hashed(path, result), (error: unknown) => fail(path, error));
    hashed(path, pending);
  };

  const hashInPool = (path: string): void => {
    const job: Promise<void> = pool!
      .hash(path, algorithm)
      .then(
        (result) => hashed(path, result),
        (error: unknown) => {
          if (aborted) return;
          return error instanceof WorkerFailure ? hashHere(path) : fail(path, error);
        },
      )
      .finally(() => inPool.delete(job));
    inPool.add(job);
  };

  const recordFile = (path: string, st: Stats): void | Promise<void> => {
    const cached = reuse?.lookup(path, st); // Stats is a FileMeta: no copy
    if (cached !== undefined) {
      entries.push([path, toEntry('file', st, { algorithm, value: cached })]);
      writer.add(path, st, cached);
      return;
    }
    if (pool && st.size >= POOL_MIN_BYTES) {
      if (pool.ready) return hashInPool(path);
      return pool.whenReady().then(() => hashInPool(path));
    }
    return hashHere(path);
  };

  const signal = opts.signal;
  const record = (path: string, st: Stats): void | Promise<void> => {
    if (signal?.aborted) throw signal.reason ?? new Error('scan aborted');
    if (st.isFile()) return recordFile(path, st);
    if (st.isSymbolicLink()) {
      let linkTarget: string;
      try {
        linkTarget = readlinkSync(path);
      } catch (error) {
        fail(path, error);
        return;
      }
      entries.push([path, toEntry('symlink', st, undefined, linkTarget)]);
      return;
    }
    entries.push([path, toEntry(entryType(st), st)]);
  };

  try {
    const compiled = policy.targets.map((target) => compileTarget(target, { platform }));
    for (let i = 0; i < compiled.length; i++) {
      const target = compiled[i]!;
      const earlier = compiled.slice(0, i).filter((other) => mayOverlap(other, target));
      const visitor: WalkVisitor = {
        record,
        error: fail,
        throttle,
        skip: earlier.length ? (path, isDirectory) => earlier.some((other) => other.contains(path, isDirectory)) : undefined,
      };
      await walkTarget(target, visitor, onlyPaths);
    }
    while (inPool.size > 0) await Promise.all(inPool);
    if (onlyPaths && cache) {
      // Records outside the rescanned paths stay valid: carry them into the new cache file.
      cache.forEach((path, meta, hash) => {
        if (!onlyPaths.some((only) => relativeTo(only, path, platform) !== null)) writer.add(path, meta, hash);
      });
    }
    writer.commit();
  } catch (error) {
    aborted = true;
    writer.abort();
    throw error;
  } finally {
    await pool?.close();
  }

  sortUnique(entries);
  if (throttle.share < 1) await throttle.pause(); // settle the last slice: the level holds for the whole scan
  return { policyId: policy.id, entries, filesScanned: entries.length, filesHashed, bytesHashed, full, errors };
}
