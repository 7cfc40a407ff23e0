import type { Entry, PathEntry } from '../functions/contract/entry.ts';
import { log } from './log.ts';
import { readTreeMeta, treeLines, type TreeLine } from './tree-file.ts';

/**
 * What changed between the tree the server last accepted and this scan's, as the agent sees it: one
 * stderr line per added, removed or modified path (up to REPORT_LIMIT, then a count), after a scan.
 * The server's events are the record (they also pair renames and leave out directory noise and the
 * attributes a target does not watch); this is the operator's quick look. Both trees are streamed leaf
 * by leaf, and leaves with the same hash on both sides are passed over unparsed.
 */

export const REPORT_LIMIT = 50;

export interface LocalChange {
  change: 'added' | 'removed' | 'modified';
  path: string;
  /** `modified`: the attributes that differ (the names of CONTRACT "Target" attributes). */
  attributes: string[];
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The attributes in which two entries of one path differ. */
export function differingAttributes(a: Entry, b: Entry): string[] {
  const out: string[] = [];
  if (!sameJson(a.hash, b.hash) || a.unreadable !== b.unreadable) out.push('content');
  if (a.size !== b.size) out.push('size');
  if (a.mode !== b.mode) out.push('mode');
  if (a.uid !== b.uid) out.push('owner');
  if (a.gid !== b.gid) out.push('group');
  if (a.mtime !== b.mtime) out.push('mtime');
  if (a.ctime !== b.ctime) out.push('ctime');
  if (a.inode !== b.inode) out.push('inode');
  if (a.linkTarget !== b.linkTarget) out.push('linkTarget');
  if (a.type !== b.type) out.push('type');
  if (!sameJson(a.xattrs ?? {}, b.xattrs ?? {})) out.push('xattrs');
  if (a.acl !== b.acl) out.push('acl');
  if (a.caps !== b.caps) out.push('caps');
  if (a.nlink !== undefined && b.nlink !== undefined && a.nlink !== b.nlink) out.push('nlink');
  return out;
}

/** The leaves of a tree file, in path order. */
function* leavesOf(file: string): Generator<TreeLine> {
  for (const line of treeLines(file)) if (line.level === 0) yield line;
}

const parse = (line: TreeLine): PathEntry[] => (JSON.parse(line.json) as { entries: PathEntry[] }).entries;

/** Every change from the tree in `before` to the tree in `after` (tree files), in path order. */
export function* changesBetween(before: string, after: string): Generator<LocalChange> {
  const olds = leavesOf(before);
  const news = leavesOf(after);
  let o: PathEntry[] = [];
  let n: PathEntry[] = [];
  let oi = 0;
  let ni = 0;
  let oldDone = false;
  let newDone = false;
  const nextOld = () => {
    const r = oldDone ? null : olds.next();
    if (!r || r.done) oldDone = true;
    return r && !r.done ? r.value : null;
  };
  const nextNew = () => {
    const r = newDone ? null : news.next();
    if (!r || r.done) newDone = true;
    return r && !r.done ? r.value : null;
  };
  try {
    for (;;) {
      if (oi >= o.length && ni >= n.length) {
        // Both sides between leaves: identical leaves hold identical entries, pass them over.
        let ol = nextOld();
        let nl = nextNew();
        while (ol && nl && ol.hash === nl.hash) {
          ol = nextOld();
          nl = nextNew();
        }
        if (!ol && !nl) return;
        o = ol ? parse(ol) : [];
        n = nl ? parse(nl) : [];
        oi = 0;
        ni = 0;
        continue;
      }
      if (oi >= o.length && !oldDone) {
        const ol = nextOld();
        o = ol ? parse(ol) : [];
        oi = 0;
        continue;
      }
      if (ni >= n.length && !newDone) {
        const nl = nextNew();
        n = nl ? parse(nl) : [];
        ni = 0;
        continue;
      }
      const a = oi < o.length ? o[oi] : undefined;
      const b = ni < n.length ? n[ni] : undefined;
      if (a && (!b || a[0] < b[0])) {
        yield { change: 'removed', path: a[0], attributes: [] };
        oi++;
      } else if (b && (!a || b[0] < a[0])) {
        yield { change: 'added', path: b[0], attributes: [] };
        ni++;
      } else if (a && b) {
        const attributes = differingAttributes(a[1], b[1]);
        if (attributes.length > 0) yield { change: 'modified', path: a[0], attributes };
        oi++;
        ni++;
      }
    }
  } finally {
    olds.return(undefined);
    news.return(undefined);
  }
}

/**
 * Logs what changed in policy `name` from the remembered tree (`before`, null: nothing to compare with)
 * to the scan's tree (`after`): one line per change up to `limit`, then how many more.
 */
export function reportChanges(before: string | null, after: string, name: string, limit = REPORT_LIMIT, write: (line: string) => void = log.info): void {
  if (!before) return;
  const a = readTreeMeta(before);
  const b = readTreeMeta(after);
  if (!a || !b || a.root === b.root) return;
  let count = 0;
  try {
    for (const change of changesBetween(before, after)) {
      count += 1;
      if (count <= limit) write(`policy ${name}: ${change.change} ${change.path}${change.attributes.length ? ` [${change.attributes.join(', ')}]` : ''}`);
    }
  } catch (error) {
    write(`policy ${name}: changes not listed (${(error as Error).message})`);
    return;
  }
  if (count > limit) write(`policy ${name}: ... and ${count - limit} more changes (${count} in all)`);
}
