import type { PathEntry } from '../functions/contract/entry.ts';

/**
 * Where a scan could not look (a directory it may not list, an entry whose metadata it may not read),
 * what is there is unknown, not gone: the entries the server last accepted for those paths stand in for
 * them, so nothing is reported `removed` because the agent lost sight of it. The unreadable directory
 * itself is recorded as such (its `unreadable` state is the change that gets reported).
 */

/**
 * Whether `path` is covered by `unknown`: a path equal to one without a trailing `/`, or below one with
 * it (`/etc/secret/` covers `/etc/secret/key`, not `/etc/secret`).
 */
export function isUnknown(path: string, unknown: readonly string[]): boolean {
  return unknown.some((u) => (u.endsWith('/') ? path.startsWith(u) : path === u));
}

/**
 * `scanned` (sorted by path) with the entries of `previous` (sorted) that lie where the scan could not
 * see and that it did not record itself, merged in path order. `inScope` drops what the policy no
 * longer covers.
 * @example carryForward(result.entries, treeEntries(remembered), result.unknownPaths, (p) => true)
 */
export function carryForward(
  scanned: readonly PathEntry[],
  previous: Iterable<PathEntry>,
  unknown: readonly string[],
  inScope: (path: string, entry: PathEntry[1]) => boolean,
): { entries: PathEntry[]; carried: number } {
  if (unknown.length === 0) return { entries: [...scanned], carried: 0 };
  const carried: PathEntry[] = [];
  for (const entry of previous) if (isUnknown(entry[0], unknown) && inScope(entry[0], entry[1])) carried.push(entry);
  const entries: PathEntry[] = [];
  let i = 0;
  let j = 0;
  let count = 0;
  while (i < scanned.length || j < carried.length) {
    if (j >= carried.length || (i < scanned.length && scanned[i]![0] <= carried[j]![0])) {
      if (j < carried.length && scanned[i]![0] === carried[j]![0]) j++; // seen after all: the scan wins
      entries.push(scanned[i++]!);
    } else {
      entries.push(carried[j++]!);
      count++;
    }
  }
  return { entries, carried: count };
}
