import type { Entry, EntryAttribute } from '../contract/entry.ts';

/**
 * Directory noise suppression (docs/diff-semantics.md, "Directory noise"). Adding, removing or renaming
 * a child rewrites its parent directory's mtime and ctime (and, on tmpfs, btrfs or XFS, its size; for a
 * child directory, its link count), so a plain diff reports the parent as `modified` next to the
 * child's own change. That second event says nothing new; these helpers drop it, and nothing else.
 */

/**
 * Directory attributes that a child being added, removed or renamed changes as a side effect (a child
 * directory's `..` also counts in its parent's link count).
 */
export const DIRECTORY_NOISE_ATTRIBUTES: readonly EntryAttribute[] = ['size', 'mtime', 'ctime', 'nlink'];

/**
 * The parent directory of an absolute path, as the agent records it: `/etc/ssh/sshd_config` →
 * `/etc/ssh`, `/etc` → `/`, `C:\Windows\win.ini` → `C:\Windows`, `C:\Windows` → `C:\`.
 * Returns undefined for a root (`/`, `C:\`), which has no parent.
 */
export function parentPath(path: string): string | undefined {
  // A POSIX path separates with `/` only: a backslash there is part of a name (or of a `\xHH` escape).
  const slash = path.startsWith('/') ? path.lastIndexOf('/') : Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (slash < 0 || slash === path.length - 1) return undefined; // relative, or a root such as `/` or `C:\`
  if (slash === 0) return path[0];
  if (slash === 2 && path[1] === ':') return path.slice(0, 3); // `C:\x` → `C:\`
  return path.slice(0, slash);
}

/** The parents of every path whose entry appeared, disappeared or moved in a diff. */
export function touchedParents(moves: Iterable<{ path: string; previousPath?: string }>): Set<string> {
  const parents = new Set<string>();
  for (const { path, previousPath } of moves) {
    const parent = parentPath(path);
    if (parent !== undefined) parents.add(parent);
    if (previousPath !== undefined) {
      const previousParent = parentPath(previousPath);
      if (previousParent !== undefined) parents.add(previousParent);
    }
  }
  return parents;
}

/**
 * True when a `modified` change at `path` is only the echo of its children changing: both sides are
 * directories, every changed attribute is one a child's add/remove/rename rewrites, and such a child
 * change is in `parentsOfMoves` (from {@link touchedParents}).
 */
export function isDirectoryNoise(
  path: string,
  before: Entry,
  after: Entry,
  changedAttributes: readonly EntryAttribute[],
  parentsOfMoves: ReadonlySet<string>,
): boolean {
  if (before.type !== 'directory' || after.type !== 'directory') return false;
  if (changedAttributes.length === 0) return false;
  if (!changedAttributes.every((attribute) => DIRECTORY_NOISE_ATTRIBUTES.includes(attribute))) return false;
  return parentsOfMoves.has(path);
}
