import { createHash } from 'node:crypto';
import type { PathEntry } from '../../functions/contract/entry.ts';

/**
 * The text a leaf hash covered before canonical form 2 (issue 10): fields joined by NUL, entries by
 * newline, nothing escaped. Tests use it to build the collision that form allowed.
 */
export const oldCanonical = ([path, e]: PathEntry): string =>
  `${path}\u0000${e.type}\u0000${e.size}\u0000${e.mode}\u0000${e.uid}\u0000${e.gid}\u0000${e.mtime}\u0000${e.ctime}\u0000${e.inode}\u0000${e.hash ? `${e.hash.algorithm}:${e.hash.value}` : ''}\u0000${e.linkTarget ?? ''}`;

/** The leaf hash of before canonical form 2. */
export const oldLeafHash = (entries: readonly PathEntry[]): string =>
  createHash('sha256').update(`L\n${entries.map(oldCanonical).join('\n')}`).digest('base64url').slice(0, 22);
