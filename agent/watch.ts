import { lstatSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { AgentPolicy } from '../functions/contract/agent.schemas.ts';
import type { Target } from '../functions/contract/policy.schemas.ts';
import { encodeWirePath } from '../functions/contract/wire-path.ts';
import { errorMessage, log } from './log.ts';
import { fsPathOf } from './scan/walk.ts';
import type { Watching } from './state.ts';

/**
 * Real-time watching for policies whose effective state is `real-time`: file system events only
 * *trigger* a scan of the policy (debounced), the scan itself decides what changed. So the filter
 * here may be generous, never stingy: an extra scan of an unchanged tree costs one small request.
 *
 * On Linux this keeps one native (inotify) watch per directory instead of `fs.watch(dir,
 * {recursive: true})`: Node 20's recursive mode on Linux is a JS emulation that opens one inotify
 * watch per *file* and swallows ENOSPC during its initial walk, so a host over its watch limit would
 * look watched while seeing nothing. Per directory, a limit error surfaces as an exception and the
 * agent reports `unavailable` and falls back to polling scans. Elsewhere the native recursive mode
 * is used as is.
 */

/** Which events of one target matter and which directories are worth watching. */
export interface TargetFilter {
  /** True when a change at `path` may change the target's scan. */
  relevant(path: string): boolean;
  /** False for a directory the scan never descends into (excluded). */
  descend(dir: string): boolean;
}

export interface WatcherOptions {
  filterFor: (target: Target) => TargetFilter;
  /** A policy saw a relevant change and has been quiet for debounceMs (or busy for maxWaitMs). */
  onChange: (policyId: string) => void;
  /** Paths whose events are always ignored (the agent's own state dir). */
  ignore: string[];
  debounceMs?: number;
  maxWaitMs?: number;
  /** `process.platform` (injectable for tests). */
  platform?: NodeJS.Platform;
  /** `fs.watch` (injectable: tests make it fail as a host over its inotify limit does). */
  watchImpl?: WatchFn;
}

type WatchFn = (
  path: string | Buffer,
  options: { persistent: boolean; recursive?: boolean; encoding?: 'buffer' },
  listener: (event: string, name: string | Buffer | null) => void,
) => FSWatcher;

/** A name from fs.watch or readdir as the scan writes it (wire form: every byte kept). */
const wireName = (name: string | Buffer): string => (typeof name === 'string' ? name : encodeWirePath(name));

/** Directories too costly to watch event by event: pseudo file systems that change constantly. */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev', '/run'];

const hasWildcard = (segment: string) => /[*?[\]{}]/.test(segment);

/** The directory to watch for a target, and whether its subtree matters. */
export function watchRoot(target: Target): { dir: string; recursive: boolean; exact?: string; missing?: boolean } {
  const last = basename(target.path);
  if (hasWildcard(last)) return { dir: dirname(target.path), recursive: target.recursive };
  try {
    if (lstatSync(fsPathOf(target.path)).isDirectory()) return { dir: target.path, recursive: target.recursive };
    // A single file: watch its directory (an editor's atomic replace gives the file a new inode).
    return { dir: dirname(target.path), recursive: false, exact: target.path };
  } catch {
    // Missing now: watch its parent so its creation is seen.
    return { dir: dirname(target.path), recursive: false, exact: target.path, missing: true };
  }
}

const within = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** Watches one directory tree with a native watch per directory (see the module comment). */
class DirectoryTree {
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;

  constructor(
    private readonly watchFn: WatchFn,
    private readonly root: string,
    private readonly recursive: boolean,
    private readonly descend: (dir: string) => boolean,
    private readonly onEvent: (path: string) => void,
    private readonly onFailure: (error: Error) => void,
  ) {}

  /** Throws when the watch limit is reached or watching is unsupported. */
  start(): void {
    this.add(this.root, true);
  }

  private add(dir: string, isRoot = false): void {
    if (this.closed || this.watchers.has(dir)) return;
    if (!isRoot && PSEUDO_ROOTS.some((p) => within(dir, p))) return;
    let watcher: FSWatcher;
    try {
      // Paths are wire paths; the watch gets the bytes, and gives names back as bytes.
      watcher = this.watchFn(fsPathOf(dir), { persistent: true, encoding: 'buffer' }, (_type, name) => this.handle(dir, name ? wireName(name) : null));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A directory that vanished, that we may not read, or whose path is past PATH_MAX (the scans still
      // walk it) is not a failure of watching itself.
      if (!isRoot && (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR' || code === 'ENAMETOOLONG')) return;
      throw error;
    }
    watcher.on('error', (error) => {
      if (dir === this.root) this.onFailure(error);
      else this.remove(dir);
    });
    this.watchers.set(dir, watcher);
    if (!this.recursive) return;
    let children;
    try {
      children = readdirSync(fsPathOf(dir), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return;
    }
    for (const child of children) {
      if (!child.isDirectory()) continue; // symlinks are not followed, as in the scan
      const path = join(dir, wireName(child.name));
      if (this.descend(path)) this.add(path);
    }
  }

  private remove(dir: string): void {
    for (const [path, watcher] of this.watchers) {
      if (within(path, dir)) {
        watcher.close();
        this.watchers.delete(path);
      }
    }
  }

  private handle(dir: string, name: string | null): void {
    if (this.closed) return;
    const path = name === null ? dir : join(dir, name);
    this.onEvent(path);
    if (!this.recursive || name === null) return;
    let isDir = false;
    try {
      isDir = lstatSync(fsPathOf(path)).isDirectory();
    } catch {
      if (this.watchers.has(path)) this.remove(path);
      return;
    }
    if (isDir && !this.watchers.has(path) && this.descend(path)) {
      try {
        this.add(path);
      } catch (error) {
        this.onFailure(error as Error);
      }
    }
  }

  get size(): number {
    return this.watchers.size;
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}

/** The same on platforms where Node's recursive watch is native (Windows, macOS). */
class NativeRecursive {
  private watcher: FSWatcher | null = null;
  constructor(
    private readonly watchFn: WatchFn,
    private readonly root: string,
    private readonly recursive: boolean,
    private readonly onEvent: (path: string) => void,
    private readonly onFailure: (error: Error) => void,
  ) {}
  start(): void {
    this.watcher = this.watchFn(fsPathOf(this.root), { persistent: true, recursive: this.recursive, encoding: 'buffer' }, (_type, name) =>
      this.onEvent(name ? join(this.root, wireName(name)) : this.root),
    );
    this.watcher.on('error', (error) => this.onFailure(error));
  }
  get size(): number {
    return this.watcher ? 1 : 0;
  }
  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

interface PolicyWatch {
  trees: (DirectoryTree | NativeRecursive)[];
  timer: NodeJS.Timeout | null;
  firstEventAt: number;
  failed: boolean;
}

/** Watches the targets of every real-time policy and calls `onChange(policyId)` after a burst of changes. */
export class RealTimeWatcher {
  private readonly watches = new Map<string, PolicyWatch>();
  /** Set when a missing target appeared: the run loop calls update() again to watch inside it. */
  rewatchWanted = false;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly platform: NodeJS.Platform;
  private readonly watchFn: WatchFn;

  constructor(private readonly opts: WatcherOptions) {
    this.watchFn = opts.watchImpl ?? (watch as WatchFn);
    this.debounceMs = opts.debounceMs ?? 1000;
    this.maxWaitMs = opts.maxWaitMs ?? 2000;
    this.platform = opts.platform ?? process.platform;
  }

  /** Replaces what is watched by the targets of `policies` in state `real-time`; answers the status. */
  update(policies: readonly AgentPolicy[]): Watching {
    this.close();
    this.rewatchWanted = false;
    for (const policy of policies) {
      if (policy.state !== 'real-time') continue;
      const pw: PolicyWatch = { trees: [], timer: null, firstEventAt: 0, failed: false };
      this.watches.set(policy.id, pw);
      for (const target of policy.targets) {
        const filter = this.opts.filterFor(target);
        const root = watchRoot(target);
        const onEvent = (path: string) => {
          if (this.opts.ignore.some((dir) => within(path, dir))) return;
          if (root.exact !== undefined) {
            if (!within(path, root.exact)) return;
            if (root.missing) this.rewatchWanted = true;
          } else if (!filter.relevant(path)) return;
          this.bump(policy.id, pw);
        };
        const onFailure = (error: Error) => this.fail(policy, pw, error);
        const tree =
          this.platform === 'linux'
            ? new DirectoryTree(this.watchFn, root.dir, root.recursive, (dir) => filter.descend(dir), onEvent, onFailure)
            : new NativeRecursive(this.watchFn, root.dir, root.recursive, onEvent, onFailure);
        try {
          tree.start();
          pw.trees.push(tree);
        } catch (error) {
          tree.close();
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            log.info(`policy ${policy.name}: ${target.path} does not exist; not watched until the next config`);
            continue;
          }
          this.fail(policy, pw, error as Error);
          break;
        }
      }
      if (!pw.failed) log.info(`watching policy ${policy.name} (${pw.trees.reduce((n, t) => n + t.size, 0)} watches)`);
    }
    return this.status();
  }

  /** `active` when every real-time policy is watched, `unavailable` when any could not be, else `off`. */
  status(): Watching {
    if (this.watches.size === 0) return 'off';
    return [...this.watches.values()].some((w) => w.failed) ? 'unavailable' : 'active';
  }

  /** Policies whose watching failed: the run loop scans them on a timer instead. */
  unwatched(): string[] {
    return [...this.watches].filter(([, w]) => w.failed).map(([id]) => id);
  }

  /** Every real-time policy currently handled (watched or failed over to polling). */
  policyIds(): string[] {
    return [...this.watches.keys()];
  }

  private fail(policy: AgentPolicy, pw: PolicyWatch, error: Error): void {
    if (pw.failed) return;
    pw.failed = true;
    for (const tree of pw.trees) tree.close();
    pw.trees = [];
    const hint = (error as NodeJS.ErrnoException).code === 'ENOSPC' ? ' (raise fs.inotify.max_user_watches)' : '';
    log.warn(`real-time watching of policy ${policy.name} unavailable: ${errorMessage(error)}${hint}; falling back to periodic scans`);
  }

  private bump(policyId: string, pw: PolicyWatch): void {
    const now = Date.now();
    if (pw.timer) clearTimeout(pw.timer);
    else pw.firstEventAt = now;
    // Quiet for debounceMs, but never later than maxWaitMs after the first event of the burst.
    const wait = Math.max(0, Math.min(this.debounceMs, pw.firstEventAt + this.maxWaitMs - now));
    pw.timer = setTimeout(() => {
      pw.timer = null;
      this.opts.onChange(policyId);
    }, wait);
  }

  close(): void {
    for (const pw of this.watches.values()) {
      if (pw.timer) clearTimeout(pw.timer);
      for (const tree of pw.trees) tree.close();
    }
    this.watches.clear();
  }
}
