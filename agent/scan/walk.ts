import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { joinPath, normalizePath, relativeTo, type CompiledTarget } from '../../functions/contract/targets.ts';
import type { Throttle } from './throttle.ts';

/**
 * Walks one compiled target with synchronous lstat/readdir (several times faster than promise fs for
 * many small files), handing every entry in scope to `visitor.record`. Symlinks are recorded, never
 * followed. The scoping rules themselves live in functions/contract/targets.ts (shared with the server).
 */

export interface WalkVisitor {
  /** Records one entry in scope. May return a promise (a large file being hashed). */
  record(path: string, stats: Stats): void | Promise<void>;
  /** An entry vanished or could not be read mid-walk: it is skipped, the walk goes on. */
  error(path: string, error: unknown): void;
  /** True when the path was already recorded by an earlier target of the policy (first target wins). */
  skip?(path: string, isDirectory: boolean): boolean;
  throttle?: Throttle;
}

const LSTAT_OPTIONS = { bigint: false, throwIfNoEntry: false } as const;

export class VanishedError extends Error {
  readonly code = 'ENOENT';
  constructor(path: string) {
    super(`${path} vanished during the scan`);
    this.name = 'VanishedError';
  }
}

const isMissing = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

class Walker {
  constructor(
    private readonly target: CompiledTarget,
    private readonly visitor: WalkVisitor,
  ) {}

  /** Hands an entry to the visitor; a promise only when the visitor is busy with it (large file). */
  private emit(path: string, stats: Stats, isDirectory: boolean): void | Promise<void> {
    if (this.visitor.skip?.(path, isDirectory)) return;
    return this.visitor.record(path, stats);
  }

  /** The whole target: its root, or every matching entry of a wildcard target's parent. */
  async whole(): Promise<void> {
    const t = this.target;
    if (t.rootPattern === null) {
      await this.root(t.base, '');
      return;
    }
    let names: string[];
    try {
      names = readdirSync(t.base);
    } catch (error) {
      if (!isMissing(error)) this.visitor.error(t.base, error);
      return;
    }
    for (const name of names) {
      if (t.matchesRootName(name)) await this.root(joinPath(t.base, name), name);
    }
  }

  /** One root: recorded per the target's rules, then walked when it is a directory. */
  async root(path: string, name: string): Promise<void> {
    let stats: Stats | undefined;
    try {
      stats = lstatSync(path, LSTAT_OPTIONS);
    } catch (error) {
      this.visitor.error(path, error);
      return;
    }
    if (!stats) return; // a target root that does not exist yields nothing
    const isDirectory = stats.isDirectory();
    const decision = this.target.rootDecision(name, isDirectory);
    if (decision.record) await this.emit(path, stats, isDirectory);
    if (decision.descend) await this.dir(path, '', decision.includedBelow);
  }

  /** Lists a directory (already judged in scope and not excluded) and walks its entries. */
  async dir(dirPath: string, relDir: string, includedAbove: boolean): Promise<void> {
    const t = this.target;
    if (!t.mayDescend(relDir, includedAbove)) return;
    let names: string[];
    try {
      names = readdirSync(dirPath);
    } catch (error) {
      this.visitor.error(dirPath, error);
      return;
    }
    const throttle = this.visitor.throttle;
    for (const name of names) {
      const path = joinPath(dirPath, name);
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      let stats: Stats | undefined;
      try {
        stats = lstatSync(path, LSTAT_OPTIONS);
      } catch (error) {
        this.visitor.error(path, error);
        continue;
      }
      if (!stats) {
        this.visitor.error(path, new VanishedError(path));
        continue;
      }
      const isDirectory = stats.isDirectory();
      if (t.isExcluded(rel, isDirectory)) continue;
      const included = includedAbove || t.matchesInclude(rel, isDirectory);
      if (included) {
        const pending = this.emit(path, stats, isDirectory);
        if (pending) await pending;
      }
      if (isDirectory) await this.dir(path, rel, included);
      if (throttle?.due()) await throttle.pause();
    }
  }

  /**
   * Only what lies at or below `path` (a real-time rescan of a changed path). Every directory between
   * the root and `path` must be a real directory that is in scope and not excluded, exactly as the
   * whole walk would have reached it.
   */
  async only(path: string): Promise<void> {
    try {
      await this.onlyUnguarded(path);
    } catch (error) {
      if (error instanceof Error && 'path' in error && typeof error.path === 'string') this.visitor.error(error.path, error);
      else throw error;
    }
  }

  private async onlyUnguarded(path: string): Promise<void> {
    const t = this.target;
    const p = normalizePath(path, t.platform);
    const rel = relativeTo(t.base, p, t.platform);
    if (rel === null) {
      if (relativeTo(p, t.base, t.platform) !== null) await this.whole(); // an ancestor of the target
      return;
    }
    if (rel === '') {
      await this.whole();
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
        await this.root(rootPath, name);
        return;
      }
      const stats = lstatSync(rootPath, LSTAT_OPTIONS);
      if (!stats?.isDirectory()) return;
      const decision = t.rootDecision(name, true);
      if (!decision.descend) return;
      includedAbove = decision.includedBelow;
      inner = rel.slice(cut + 1);
    } else {
      const stats = lstatSync(rootPath, LSTAT_OPTIONS);
      if (!stats?.isDirectory()) return;
    }
    const segments = inner.split('/');
    if (segments.length > t.maxDepth) return;
    let dirPath = rootPath;
    let relDir = '';
    for (let i = 0; i < segments.length - 1; i++) {
      relDir = i === 0 ? segments[0]! : `${relDir}/${segments[i]}`;
      dirPath = joinPath(dirPath, segments[i]!);
      const stats = lstatSync(dirPath, LSTAT_OPTIONS);
      if (!stats?.isDirectory() || t.isExcludedDir(relDir)) return;
      if (!includedAbove && t.matchesInclude(relDir, true)) includedAbove = true;
    }
    if (!t.mayDescend(relDir, includedAbove)) return;
    let stats: Stats | undefined;
    try {
      stats = lstatSync(p, LSTAT_OPTIONS);
    } catch (error) {
      this.visitor.error(p, error);
      return;
    }
    if (!stats) return; // gone: the caller reads its absence as a removal
    const isDirectory = stats.isDirectory();
    if (t.isExcluded(inner, isDirectory)) return;
    const included = includedAbove || t.matchesInclude(inner, isDirectory);
    if (included) await this.emit(p, stats, isDirectory);
    if (isDirectory) await this.dir(p, inner, included);
  }
}

/** Walks a whole target, or with `onlyPaths` just what lies at or below those absolute paths. */
export async function walkTarget(target: CompiledTarget, visitor: WalkVisitor, onlyPaths?: readonly string[]): Promise<void> {
  const walker = new Walker(target, visitor);
  if (!onlyPaths) {
    await walker.whole();
    return;
  }
  for (const path of onlyPaths) await walker.only(path);
}
