import { lstatSync } from 'node:fs';
import type { Target } from '../functions/contract/policy.schemas.ts';
import { compiledTarget, normalizePath, type TargetPlatform } from '../functions/domain/targets.ts';
import type { TargetFilter } from './watch.ts';

/**
 * Adapts the shared target scoping (functions/domain/targets.ts, the same rules the scan walks by)
 * to what the watcher asks: is this event worth a scan, is this directory worth a watch.
 * Errs towards "yes": a needless scan of an unchanged tree costs one small request.
 */

const platform: TargetPlatform = process.platform === 'win32' ? 'windows' : 'linux';

/** The part of `path` below `dir`, '' when equal, null when outside. */
function below(dir: string, path: string): string | null {
  if (path === dir) return '';
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : null;
}

/** A directory now, or gone (it may have been one: a removed directory can hold included files). */
function directoryOrGone(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return true;
  }
}

export function targetFilter(target: Target): TargetFilter {
  const c = compiledTarget(target, { platform });

  /** Whether the walk may go into the directory at `rel` below a root (never into an excluded one). */
  const walkable = (rel: string): boolean => {
    if (rel === '') return c.maxDepth >= 1;
    const segments = rel.split('/');
    if (segments.length + 1 > c.maxDepth) return false;
    for (let i = 1; i <= segments.length; i++) if (c.isExcludedDir(segments.slice(0, i).join('/'))) return false;
    return true;
  };

  const descend = (dir: string): boolean => {
    const rel = below(c.base, normalizePath(dir, platform));
    if (rel === null) return false;
    if (c.rootPattern === null) return walkable(rel);
    if (rel === '') return true; // the wildcard's parent: its entries are the candidate roots
    const cut = rel.indexOf('/');
    const name = cut < 0 ? rel : rel.slice(0, cut);
    if (!c.matchesRootName(name) || !c.rootDecision(name, true).descend) return false;
    return walkable(cut < 0 ? '' : rel.slice(cut + 1));
  };

  return {
    descend,
    relevant: (path) => {
      if (c.contains(path)) return true;
      // With an include list, a directory outside it still holds what it includes.
      return target.include.length > 0 && descend(path) && directoryOrGone(path);
    },
  };
}
