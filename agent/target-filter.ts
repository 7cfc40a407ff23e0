import { lstatSync } from 'node:fs';
import type { Target } from '../functions/contract/policy.schemas.ts';
import { compiledTarget, type TargetPlatform } from '../functions/contract/targets.ts';
import type { TargetFilter } from './watch.ts';
import { fsPathOf } from './scan/walk.ts';

/**
 * What the real-time watcher asks of a target, answered by the very scoping rules the scan walks by
 * (functions/contract/targets.ts), so the two cannot drift. The only addition is I/O: a path outside
 * an include list still matters when it is (or was) a directory that may hold included files.
 */
const platform: TargetPlatform = process.platform === 'win32' ? 'windows' : 'linux';

/** A directory now, or gone (it may have been one: a removed directory can hold included files). */
function directoryOrGone(path: string): boolean {
  try {
    return lstatSync(fsPathOf(path)).isDirectory();
  } catch {
    return true;
  }
}

export function targetFilter(target: Target): TargetFilter {
  const compiled = compiledTarget(target, { platform });
  return {
    descend: (dir) => compiled.walksInto(dir),
    relevant: (path) => compiled.contains(path) || (target.include.length > 0 && compiled.walksInto(path) && directoryOrGone(path)),
  };
}
