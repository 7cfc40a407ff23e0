import { ENTRY_ATTRIBUTES, OPTIONAL_ATTRIBUTES } from '../contract/entry.ts';
import type { Entry, EntryAttribute, OptionalAttribute, PathEntry } from '../contract/entry.ts';
import type { Target } from '../contract/policy.schemas.ts';
import { isDirectoryNoise, touchedParents } from './directory-noise.ts';
import { targetForPath } from '../contract/targets.ts';
import type { TargetPlatform } from '../contract/targets.ts';

/**
 * The diff of two recorded states of a server's monitored files: what turns scans into events
 * (CONTRACT "Semantics"). Every rule, with examples, is in docs/diff-semantics.md.
 */

export type ChangeType = 'added' | 'removed' | 'modified' | 'renamed';

export interface Change {
  changeType: ChangeType;
  path: string;
  /** The path the entry had before; `renamed` only. */
  previousPath?: string;
  /** Null for `added`. */
  before: Entry | null;
  /** Null for `removed`. */
  after: Entry | null;
  /**
   * `modified`: the attributes that differ, limited to `target.attributes`, in ENTRY_ATTRIBUTES order.
   * `renamed`: the same, between the old and the new entry (the path itself is not an attribute).
   * `added` / `removed`: empty.
   */
  changedAttributes: EntryAttribute[];
  /** The current target the (new) path belongs to; severity is `target.critical ? 'critical' : 'normal'`. */
  target: Target;
}

export interface DiffInput {
  /** The previous state, sorted by path (code-unit order), paths unique. */
  before: readonly PathEntry[];
  /** The new state, sorted by path (code-unit order), paths unique. */
  after: readonly PathEntry[];
  /** The policy's current targets. */
  targets: readonly Target[];
  /** The targets in force when `before` was recorded; defaults to `targets`. */
  previousTargets?: readonly Target[];
  /**
   * Attributes never compared, whatever the targets say. For a golden-master comparison (another
   * server's baseline) pass `['inode', 'mtime', 'ctime']`: they differ between hosts by nature.
   */
  ignoreAttributes?: readonly EntryAttribute[];
  /** Pair removed + added entries into `renamed` changes (default true; inodes mean nothing across hosts). */
  detectRenames?: boolean;
  /** The server's platform, for target matching (`windows`: backslash separators, case-insensitive). Default linux. */
  platform?: TargetPlatform;
}

/**
 * The optional attributes (xattrs, acl, caps) that cannot be compared between two states because one
 * of them did not record them (an agent without getfattr, or an older agent): pass as ignoreAttributes.
 * @example uncomparable(['xattrs', 'acl', 'caps'], []) // ['xattrs', 'acl', 'caps']
 */
export function uncomparable(before: readonly OptionalAttribute[] | undefined, after: readonly OptionalAttribute[] | undefined): OptionalAttribute[] {
  return OPTIONAL_ATTRIBUTES.filter((attribute) => !before?.includes(attribute) || !after?.includes(attribute));
}

/** Which optional attributes a scan recorded, from what its agent said it could not (absent: an older agent, none). */
export function recordedAttributes(unsupported: readonly OptionalAttribute[] | undefined): OptionalAttribute[] {
  return unsupported === undefined ? [] : OPTIONAL_ATTRIBUTES.filter((attribute) => !unsupported.includes(attribute));
}

/** The severity an event gets from the target its path belongs to (CONTRACT "Semantics"). */
export function severityOf(change: Pick<Change, 'target'>): 'critical' | 'normal' {
  return change.target.critical ? 'critical' : 'normal';
}

function sameHash(a: Entry['hash'], b: Entry['hash']): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.algorithm === b.algorithm && a.value === b.value;
}

/** Timestamps are ISO strings; equal strings are the fast path, equal instants in other spellings count too. */
function sameInstant(a: string, b: string): boolean {
  if (a === b) return true;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return !Number.isNaN(ta) && ta === tb;
}

/** Same names with the same values (absent and empty are the same: no extended attributes). */
function sameXattrs(a: Entry['xattrs'], b: Entry['xattrs']): boolean {
  if (a === b) return true;
  const keys = Object.keys(a ?? {});
  if (keys.length !== Object.keys(b ?? {}).length) return false;
  return keys.every((key) => b !== undefined && Object.hasOwn(b, key) && b[key] === a![key]);
}

function attributeDiffers(attribute: EntryAttribute, a: Entry, b: Entry): boolean {
  switch (attribute) {
    case 'content':
      // A file (or directory) that became unreadable, or readable again, changed what is known of its content.
      return !sameHash(a.hash, b.hash) || a.unreadable !== b.unreadable;
    case 'size':
      return a.size !== b.size;
    case 'mode':
      return a.mode !== b.mode;
    case 'owner':
      return a.uid !== b.uid;
    case 'group':
      return a.gid !== b.gid;
    case 'mtime':
      return !sameInstant(a.mtime, b.mtime);
    case 'ctime':
      return !sameInstant(a.ctime, b.ctime);
    case 'inode':
      return a.inode !== b.inode;
    case 'linkTarget':
      return a.linkTarget !== b.linkTarget;
    case 'type':
      return a.type !== b.type;
    case 'xattrs':
      return !sameXattrs(a.xattrs, b.xattrs);
    case 'acl':
      return a.acl !== b.acl;
    case 'caps':
      return a.caps !== b.caps;
    case 'nlink':
      // Entries recorded before agents recorded link counts have none: unknown is not a change.
      return a.nlink !== undefined && b.nlink !== undefined && a.nlink !== b.nlink;
  }
}

/**
 * The attributes among `attributes` in which two entries differ, in ENTRY_ATTRIBUTES order.
 * `content` differs when the hashes (algorithm and value) differ or only one side has a hash, or
 * when one side could not be read (`unreadable`) and the other could;
 * `owner`/`group` compare uid/gid.
 * @example compareEntries(old, chmodded, ENTRY_ATTRIBUTES) // ['mode', 'ctime']
 */
export function compareEntries(a: Entry, b: Entry, attributes: readonly EntryAttribute[]): EntryAttribute[] {
  const changed: EntryAttribute[] = [];
  for (const attribute of ENTRY_ATTRIBUTES) {
    if (attributes.includes(attribute) && attributeDiffers(attribute, a, b)) changed.push(attribute);
  }
  return changed;
}

/** True when two entries hold the same thing, so that one path's loss and another's gain is a move. */
function sameObject(removed: Entry, added: Entry): boolean {
  if (removed.inode === 0 || removed.inode !== added.inode || removed.type !== added.type) return false;
  switch (added.type) {
    case 'file':
      if (removed.hash !== undefined && added.hash !== undefined) return sameHash(removed.hash, added.hash);
      if (removed.hash !== undefined || added.hash !== undefined) return false;
      // Neither side was hashed: content is unknown, so ask for everything a write would change.
      return removed.size === added.size && sameInstant(removed.mtime, added.mtime);
    case 'symlink':
      return removed.linkTarget === added.linkTarget;
    default:
      return true; // directories and other objects: the same inode is the same object
  }
}

/** Every field equal: the common case, checked without building an attribute list. */
function identical(a: Entry, b: Entry): boolean {
  return (
    a.mtime === b.mtime &&
    a.ctime === b.ctime &&
    a.size === b.size &&
    a.inode === b.inode &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.type === b.type &&
    a.linkTarget === b.linkTarget &&
    a.nlink === b.nlink &&
    a.unreadable === b.unreadable &&
    a.acl === b.acl &&
    a.caps === b.caps &&
    sameHash(a.hash, b.hash) &&
    sameXattrs(a.xattrs, b.xattrs)
  );
}

function baseName(path: string): string {
  // A POSIX path separates with `/` only: a backslash there is part of a name (or of a `\xHH` escape).
  return path.slice((path.startsWith('/') ? path.lastIndexOf('/') : Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))) + 1);
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The input as promised (sorted, unique); a copy sorted by path, last duplicate winning, otherwise. */
function sortedUnique(entries: readonly PathEntry[]): readonly PathEntry[] {
  let ordered = true;
  for (let i = 1; i < entries.length && ordered; i++) ordered = entries[i - 1][0] < entries[i][0];
  if (ordered) return entries;
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const unique: PathEntry[] = [];
  for (const entry of sorted) {
    if (unique.length > 0 && unique[unique.length - 1][0] === entry[0]) unique[unique.length - 1] = entry;
    else unique.push(entry);
  }
  return unique;
}

interface Candidate {
  path: string;
  entry: Entry;
  target: Target;
  paired: boolean;
}

/**
 * The changes between two recorded states, sorted by path: one linear merge of the two sorted lists,
 * then rename pairing among the unmatched entries only, then directory noise suppression.
 */
export function diffEntries(input: DiffInput): Change[] {
  const before = sortedUnique(input.before);
  const after = sortedUnique(input.after);
  const { targets, platform } = input;
  const previousTargets = input.previousTargets ?? targets;
  const scopeOf = (scope: readonly Target[], path: string, entry: Entry): Target | undefined =>
    targetForPath(scope, path, { platform, isDirectory: entry.type === 'directory' });
  const ignored = input.ignoreAttributes ?? [];
  const attributesOf = (target: Target): readonly EntryAttribute[] =>
    ignored.length === 0 ? target.attributes : target.attributes.filter((attribute) => !ignored.includes(attribute));

  const modified: Change[] = [];
  const removed: Candidate[] = [];
  const added: Candidate[] = [];

  // A directory the agent could not list says nothing of what is in it: what was there is not "removed".
  const unlisted = after.filter(([, entry]) => entry.type === 'directory' && entry.unreadable !== undefined).map(([path]) => path);
  const belowUnlisted = (path: string): boolean => unlisted.some((dir) => path.startsWith(dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}/`));
  const onlyBefore = (path: string, entry: Entry): void => {
    if (unlisted.length > 0 && belowUnlisted(path)) return;
    // Out of the current scope: the policy shrank or now excludes it, the file did not go away.
    const target = scopeOf(targets, path, entry);
    if (target !== undefined) removed.push({ path, entry, target, paired: false });
  };
  const onlyAfter = (path: string, entry: Entry): void => {
    const target = scopeOf(targets, path, entry);
    if (target === undefined) return; // not monitored: the upload should not hold it
    // Out of the previous scope: the policy grew, the file did not appear.
    if (previousTargets !== targets && scopeOf(previousTargets, path, entry) === undefined) return;
    added.push({ path, entry, target, paired: false });
  };

  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    const [path, old] = before[i];
    const [pathAfter, current] = after[j];
    if (path !== pathAfter) {
      if (path < pathAfter) {
        onlyBefore(path, old);
        i++;
      } else {
        onlyAfter(pathAfter, current);
        j++;
      }
      continue;
    }
    i++;
    j++;
    // Fast path: identical entries need no target lookup (most of a scan).
    if (identical(old, current)) continue;
    const target = scopeOf(targets, path, current);
    if (target === undefined) continue;
    const changedAttributes = compareEntries(old, current, attributesOf(target));
    if (changedAttributes.length > 0) modified.push({ changeType: 'modified', path, before: old, after: current, changedAttributes, target });
  }
  for (; i < before.length; i++) onlyBefore(before[i][0], before[i][1]);
  for (; j < after.length; j++) onlyAfter(after[j][0], after[j][1]);

  const renamed: Change[] = [];
  if (input.detectRenames !== false && removed.length > 0 && added.length > 0) {
    const removedByInode = new Map<number, Candidate[]>();
    for (const candidate of removed) {
      if (candidate.entry.inode === 0) continue; // Windows may report no file id
      const sameInode = removedByInode.get(candidate.entry.inode);
      if (sameInode === undefined) removedByInode.set(candidate.entry.inode, [candidate]);
      else sameInode.push(candidate);
    }
    for (const candidate of added) {
      if (candidate.entry.inode === 0) continue;
      const sameInode = removedByInode.get(candidate.entry.inode);
      if (sameInode === undefined) continue;
      // Hard links share an inode: prefer the old path with the same name, else the first by path.
      const name = baseName(candidate.path);
      let match: Candidate | undefined;
      for (const old of sameInode) {
        if (old.paired || !sameObject(old.entry, candidate.entry)) continue;
        if (baseName(old.path) === name) {
          match = old;
          break;
        }
        match ??= old;
      }
      if (match === undefined) continue;
      match.paired = true;
      candidate.paired = true;
      renamed.push({
        changeType: 'renamed',
        path: candidate.path,
        previousPath: match.path,
        before: match.entry,
        after: candidate.entry,
        changedAttributes: compareEntries(match.entry, candidate.entry, attributesOf(candidate.target)),
        target: candidate.target,
      });
    }
  }

  const moves: Change[] = [...renamed];
  for (const { path, entry, target, paired } of removed) {
    if (!paired) moves.push({ changeType: 'removed', path, before: entry, after: null, changedAttributes: [], target });
  }
  for (const { path, entry, target, paired } of added) {
    if (!paired) moves.push({ changeType: 'added', path, before: null, after: entry, changedAttributes: [], target });
  }

  const parentsOfMoves = touchedParents(moves);
  const changes = moves;
  for (const change of modified) {
    if (!isDirectoryNoise(change.path, change.before!, change.after!, change.changedAttributes, parentsOfMoves)) changes.push(change);
  }
  return changes.sort(byPath);
}
