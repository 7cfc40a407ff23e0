import { isUtf8 } from 'node:buffer';
import { closeSync, constants, existsSync, lstatSync, openSync, readdirSync, type Dirent, type Stats } from 'node:fs';
import { decodeWirePath, encodeWirePath } from '../../functions/contract/wire-path.ts';
import { joinPath, normalizePath, relativeTo, type CompiledTarget } from '../../functions/contract/targets.ts';

/**
 * Walks one compiled target with synchronous lstat/readdir (several times faster than promise fs for
 * many small files), as a generator that yields what it finds in path order (code-unit order of the
 * wire paths, as sortEntries), so a consumer can build the tree while the walk goes on and hold no
 * more than the widest directory per level. Symlinks are recorded, never followed. The scoping rules
 * live in functions/contract/targets.ts (shared with the server).
 *
 * - Names are read as bytes and carried in their wire form (functions/contract/wire-path.ts): a name
 *   that is not valid UTF-8 is walked, recorded and matched against include/exclude like any other.
 * - Depth does not matter: past SHORT_PATH bytes a directory is opened and what lies below it is reached
 *   through `/proc/<pid>/fd/<fd>/...` (Linux's handle on an open directory: Node has no openat), so no
 *   path handed to the kernel ever nears PATH_MAX.
 * - Path order: a directory `x` is yielded at `x`, what lies below it at `x/`, so `x-y` and `x.d` (which
 *   sort between the two) come in between, exactly as sorted full paths would.
 */

/** What fs calls take: a string for valid UTF-8, the bytes otherwise. */
export type FsPath = string | Buffer;

/** An entry in scope, with what it takes to read it. */
export interface WalkEntry {
  kind: 'entry';
  /** Wire form of the absolute path. */
  path: string;
  fsPath: FsPath;
  stats: Stats;
  /** A directory in scope whose listing failed: the error code (its entry is still recorded). */
  unlistable?: string;
  /** When fsPath goes through an open directory: held for this entry; the consumer releases it when done. */
  handle?: DirHandle;
}

/** Listed, but gone before it could be looked at: it no longer exists. */
export interface WalkVanished {
  kind: 'vanished';
  path: string;
}

/** Listed, but its metadata could not be read (not ENOENT): whether it still exists is unknown. */
export interface WalkSkipped {
  kind: 'skipped';
  path: string;
  error: unknown;
}

/** What lies below `path` is unknown (its listing or its own lstat failed). Yielded where that subtree sorts. */
export interface WalkUnlisted {
  kind: 'unlisted';
  path: string;
}

export type WalkItem = WalkEntry | WalkVanished | WalkSkipped | WalkUnlisted;

/** Paths up to this many bytes are used as they are; longer ones go through an open directory. */
export const SHORT_PATH = 2048;

const O_DIRECTORY_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);
const LSTAT_OPTIONS = { bigint: false, throwIfNoEntry: false } as const;
let procFd: boolean | undefined;
/** Whether `/proc/<pid>/fd/<fd>` reaches an open directory here (Linux with /proc mounted). */
const hasProcFd = (): boolean => (procFd ??= process.platform === 'linux' && existsSync(`/proc/${process.pid}/fd`));

/**
 * An open directory standing in for a path too long to use: `fsPath` is `/proc/<pid>/fd/<fd>`, which
 * also works from worker threads and from child processes of this one. Reference counted: the walk
 * holds it while inside the directory, every entry below it until its consumer is done with it.
 */
export class DirHandle {
  private refs = 1;
  readonly fsPath: string;

  constructor(private readonly fd: number) {
    this.fsPath = `/proc/${process.pid}/fd/${fd}`;
  }

  retain(): this {
    this.refs += 1;
    return this;
  }

  release(): void {
    this.refs -= 1;
    if (this.refs === 0) closeSync(this.fd);
  }
}

/** Bytes of an FsPath. */
const byteLength = (p: FsPath): number => (typeof p === 'string' ? Buffer.byteLength(p) : p.length);

/** `dir` joined with `name` as fs paths: a string while both are, else bytes. */
export function joinFs(dir: FsPath, name: FsPath): FsPath {
  if (typeof dir === 'string' && typeof name === 'string') return joinPath(dir, name);
  const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const n = typeof name === 'string' ? Buffer.from(name) : name;
  return d.length > 0 && d[d.length - 1] === 0x2f ? Buffer.concat([d, n]) : Buffer.concat([d, Buffer.from('/'), n]);
}

/** The fs form of a wire path (or name): a string when its bytes are valid UTF-8. */
export function fsPathOf(wire: string): FsPath {
  if (!wire.includes('\\x')) return wire;
  const bytes = decodeWirePath(wire);
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
}

/** The wire and fs forms of a name read as bytes. */
function nameForms(bytes: Buffer): { wire: string; fs: FsPath } {
  const wire = encodeWirePath(bytes);
  // Printable ASCII (the fast path of encodeWirePath): both forms are the same string.
  if (wire.length === bytes.length && !wire.includes('\\')) return { wire, fs: wire };
  return { wire, fs: isUtf8(bytes) ? bytes.toString('utf8') : bytes };
}

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;
const isMissing = (error: unknown): boolean => errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR';

/** One name of a listed directory; what the walk decided at its own key is kept for its `below` key. */
interface Child {
  wire: string;
  fs: FsPath;
  /** Set at the child's own key. */
  path?: string;
  fsPath?: FsPath;
  rel?: string;
  included?: boolean;
  /** What its `below` key does: walk its listing, announce an unknown subtree, or nothing. */
  below?: 'walk' | 'unlisted' | 'none';
  listing?: Dirent<Buffer>[];
}

interface Key {
  key: string;
  child: Child;
  /** The key of what lies below the child (`name/`) rather than of the child itself. */
  below: boolean;
}

interface Frame {
  /** Wire path of the directory listed ('' for a pseudo frame whose children carry their own paths). */
  dir: string;
  fs: FsPath;
  rel: string;
  /** Included above: every child counts as included. */
  included: boolean;
  /** Children are target roots (plain root, or a wildcard's matches): rootDecision applies. */
  roots: boolean;
  keys: Key[];
  i: number;
  /** The open directory `fs` goes through (its own or an ancestor's), held while the frame lives. */
  handle?: DirHandle;
}

const byKey = (a: Key, b: Key): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The sorted keys of a listing: every child at its name, a directory's contents at `name/`. */
function keysOf(listing: Dirent<Buffer>[], keep?: (wire: string) => boolean): Key[] {
  const keys: Key[] = [];
  for (const dirent of listing) {
    const { wire, fs } = nameForms(dirent.name);
    if (keep && !keep(wire)) continue;
    const child: Child = { wire, fs };
    keys.push({ key: wire, child, below: false });
    if (dirent.isDirectory()) keys.push({ key: `${wire}/`, child, below: true });
  }
  return keys.sort(byKey);
}

function list(fsPath: FsPath): Dirent<Buffer>[] {
  return readdirSync(fsPath, { encoding: 'buffer', withFileTypes: true });
}

/** A pseudo frame whose one child is `path` itself (a target root, or an only-path). */
function singleFrame(path: string, fs: FsPath, rel: string, included: boolean, roots: boolean, handle?: DirHandle): Frame {
  const child: Child = { wire: '', fs, path, fsPath: fs, rel };
  return { dir: '', fs: '', rel: '', included, roots, keys: [{ key: path, child, below: false }, { key: `${path}/`, child, below: true }], i: 0, handle };
}

class Walker {
  constructor(private readonly target: CompiledTarget) {}

  /** Runs the frames from `first` until every key is done, yielding items in path order. */
  *run(first: Frame): Generator<WalkItem> {
    const stack: Frame[] = [first];
    try {
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]!;
        if (frame.i >= frame.keys.length) {
          stack.pop();
          frame.handle?.release();
          continue;
        }
        const { child, below } = frame.keys[frame.i++]!;
        if (!below) {
          const item = this.self(frame, child);
          if (item) yield item;
          continue;
        }
        if (child.below === 'unlisted') yield { kind: 'unlisted', path: child.path! };
        else if (child.below === 'walk') stack.push(this.frameBelow(frame, child));
      }
    } finally {
      // A consumer that stops early (aborted scan) still closes every directory handle.
      for (const frame of stack) frame.handle?.release();
    }
  }

  /** The child at its own key: lstat, scope, and (for a directory to walk) its listing, read now. */
  private self(frame: Frame, child: Child): WalkItem | null {
    const t = this.target;
    const path = (child.path ??= joinPath(frame.dir, child.wire));
    const fsPath = (child.fsPath ??= joinFs(frame.fs, child.fs));
    const rel = (child.rel ??= frame.rel === '' ? child.wire : `${frame.rel}/${child.wire}`);
    child.below = 'none';
    let stats: Stats | undefined;
    try {
      stats = lstatSync(fsPath, LSTAT_OPTIONS);
    } catch (error) {
      if (isMissing(error)) return { kind: 'vanished', path };
      child.below = 'unlisted';
      return { kind: 'skipped', path, error };
    }
    // A target root, or a path asked for by name, that does not exist yields nothing; a listed one vanished.
    if (!stats) return frame.roots || frame.dir === '' ? null : { kind: 'vanished', path };
    const isDirectory = stats.isDirectory();
    let record: boolean;
    let descend: boolean;
    if (frame.roots) {
      const decision = t.rootDecision(child.wire, isDirectory);
      record = decision.record;
      child.included = decision.includedBelow;
      child.rel = '';
      descend = decision.descend && t.mayDescend('', decision.includedBelow);
    } else {
      if (t.isExcluded(rel, isDirectory)) return null;
      child.included = frame.included || t.matchesInclude(rel, isDirectory);
      record = child.included;
      descend = isDirectory && t.mayDescend(rel, child.included);
    }
    let unlistable: string | undefined;
    if (descend) {
      try {
        child.listing = list(fsPath);
        child.below = 'walk';
      } catch (error) {
        if (isMissing(error)) return record ? { kind: 'vanished', path } : null;
        unlistable = errorCode(error) ?? 'EIO';
        child.below = 'unlisted';
      }
    }
    if (!record) return null;
    const entry: WalkEntry = { kind: 'entry', path, fsPath, stats };
    if (unlistable) entry.unlistable = unlistable;
    if (frame.handle) entry.handle = frame.handle.retain();
    return entry;
  }

  /** The frame of a directory whose listing was read at its own key; past SHORT_PATH through an open handle. */
  private frameBelow(parent: Frame, child: Child): Frame {
    const listing = child.listing!;
    child.listing = undefined;
    let fs = child.fsPath!;
    let handle: DirHandle | undefined;
    if (byteLength(fs) > SHORT_PATH && hasProcFd()) {
      try {
        handle = new DirHandle(openSync(fs, O_DIRECTORY_FLAGS));
        fs = handle.fsPath;
      } catch {
        // Replaced since it was listed: walk what was listed by its path (errors then show per entry).
      }
    }
    // A frame whose path goes through an ancestor's handle keeps that handle open too.
    handle ??= parent.handle?.retain();
    return { dir: child.path!, fs, rel: child.rel!, included: child.included!, roots: false, keys: keysOf(listing), i: 0, handle };
  }

  /** The whole target: its root, or every matching entry of a wildcard target's parent. */
  *whole(): Generator<WalkItem> {
    const t = this.target;
    if (t.rootPattern === null) {
      yield* this.run(singleFrame(t.base, fsPathOf(t.base), '', false, true));
      return;
    }
    const fs = fsPathOf(t.base);
    let listing: Dirent<Buffer>[];
    try {
      listing = list(fs);
    } catch (error) {
      if (isMissing(error)) return;
      yield { kind: 'skipped', path: t.base, error };
      yield { kind: 'unlisted', path: t.base };
      return;
    }
    const frame: Frame = { dir: t.base, fs, rel: '', included: false, roots: true, keys: keysOf(listing, (name) => t.matchesRootName(name)), i: 0 };
    yield* this.run(frame);
  }

  /**
   * Only what lies at or below `path` (a rescan of a changed path). Every directory between the root and
   * `path` must be a real directory that is in scope and not excluded, exactly as the whole walk would
   * have reached it.
   */
  *only(path: string): Generator<WalkItem> {
    const t = this.target;
    const p = normalizePath(path, t.platform);
    const rel = relativeTo(t.base, p, t.platform);
    if (rel === null) {
      if (relativeTo(p, t.base, t.platform) !== null) yield* this.whole(); // an ancestor of the target
      return;
    }
    if (rel === '') {
      yield* this.whole();
      return;
    }
    let rootPath = t.base;
    let inner = rel;
    let includedAbove = false;
    if (t.rootPattern !== null) {
      const cut = rel.indexOf('/');
      const name = cut < 0 ? rel : rel.slice(0, cut);
      if (!t.matchesRootName(name)) return;
      rootPath = joinPath(t.base, name);
      if (cut < 0) {
        yield* this.run(singleFrame(rootPath, fsPathOf(rootPath), '', false, true));
        return;
      }
      if (!lstatSync(fsPathOf(rootPath), LSTAT_OPTIONS)?.isDirectory()) return;
      const decision = t.rootDecision(name, true);
      if (!decision.descend) return;
      includedAbove = decision.includedBelow;
      inner = rel.slice(cut + 1);
    } else if (!lstatSync(fsPathOf(rootPath), LSTAT_OPTIONS)?.isDirectory()) return;
    const segments = inner.split('/');
    if (segments.length > t.maxDepth) return;
    let fs = fsPathOf(rootPath);
    let handle: DirHandle | undefined;
    let relDir = '';
    try {
      for (let i = 0; i < segments.length - 1; i++) {
        relDir = i === 0 ? segments[0]! : `${relDir}/${segments[i]}`;
        fs = joinFs(fs, fsPathOf(segments[i]!));
        if (!lstatSync(fs, LSTAT_OPTIONS)?.isDirectory() || t.isExcludedDir(relDir)) return;
        if (!includedAbove && t.matchesInclude(relDir, true)) includedAbove = true;
        if (byteLength(fs) > SHORT_PATH && hasProcFd()) {
          const next = new DirHandle(openSync(fs, O_DIRECTORY_FLAGS));
          handle?.release();
          handle = next;
          fs = next.fsPath;
        }
      }
      if (!t.mayDescend(relDir, includedAbove)) return;
      yield* this.run(singleFrame(p, joinFs(fs, fsPathOf(segments[segments.length - 1]!)), inner, includedAbove, false, handle?.retain()));
    } catch (error) {
      if (!isMissing(error)) yield { kind: 'skipped', path: p, error };
    } finally {
      handle?.release();
    }
  }
}

/** Walks a whole target, or with `onlyPaths` just what lies at or below those absolute (wire) paths; each in path order. */
export function walkTarget(target: CompiledTarget, onlyPaths?: readonly string[]): Generator<WalkItem>[] {
  const walker = new Walker(target);
  return onlyPaths ? onlyPaths.map((path) => walker.only(path)) : [walker.whole()];
}

/** The position of an item in path order: an unknown subtree sorts just below its directory's own path. */
export const itemKey = (item: WalkItem): string => (item.kind === 'unlisted' ? `${item.path.endsWith('/') ? item.path : `${item.path}/`}\u0000` : item.path);

/**
 * Merges walks (each in path order) into one stream in path order. Where two walks yield the same
 * path, the earlier walk (the earlier target of the policy) wins and the other's item is dropped.
 */
export function* mergeWalks(walks: Generator<WalkItem>[]): Generator<WalkItem> {
  const heads: (WalkItem | undefined)[] = walks.map((w) => w.next().value ?? undefined);
  for (;;) {
    let best = -1;
    let bestKey = '';
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head === undefined) continue;
      const key = itemKey(head);
      if (best < 0 || key < bestKey) {
        best = i;
        bestKey = key;
      }
    }
    if (best < 0) return;
    const item = heads[best]!;
    const advance = [best];
    for (let i = 0; i < heads.length; i++) {
      if (i === best || heads[i] === undefined || itemKey(heads[i]!) !== bestKey) continue;
      const dropped = heads[i]!;
      if (dropped.kind === 'entry') dropped.handle?.release();
      advance.push(i);
    }
    yield item;
    // Only now: a walk looks at its next entry after the consumer is done with this one.
    for (const i of advance) heads[i] = walks[i]!.next().value ?? undefined;
  }
}
