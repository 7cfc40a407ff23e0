import { createHash } from 'node:crypto';
import { sortEntries, type PathEntry } from '../../functions/contract/tree.ts';

/**
 * Entries of an etc-like tree made in memory (no files): for benchmarks of what the server or the
 * tree code does with a tree of a given size, apart from walking and hashing real files.
 */
export const SYNTHETIC_ROOT = '/srv/bench-store';

/** An etc-like tree: directories of 5-60 files, two levels deep. */
export function syntheticEntries(files: number): PathEntry[] {
  const entries: PathEntry[] = [];
  let inode = 1;
  const at = '2026-11-01T00:00:00.000Z';
  const dir = (path: string): PathEntry => [path, { type: 'directory', size: 4096, mode: '0755', uid: 0, gid: 0, mtime: at, ctime: at, inode: inode++ }];
  entries.push(dir(SYNTHETIC_ROOT));
  let made = 0;
  for (let top = 0; made < files; top++) {
    const topPath = `${SYNTHETIC_ROOT}/pkg-${top}`;
    entries.push(dir(topPath));
    for (let sub = 0; sub < 8 && made < files; sub++) {
      const subPath = `${topPath}/conf.d-${sub}`;
      entries.push(dir(subPath));
      const width = 5 + ((top * 31 + sub * 17) % 56);
      for (let f = 0; f < width && made < files; f++, made++) {
        const value = createHash('sha256').update(`${top}/${sub}/${f}`).digest('hex');
        entries.push([`${subPath}/file-${f}.conf`, { type: 'file', size: 200 + (made % 8000), mode: '0644', uid: 0, gid: 0, mtime: at, ctime: at, inode: inode++, hash: { algorithm: 'sha256', value } }]);
      }
    }
  }
  return sortEntries(entries);
}
