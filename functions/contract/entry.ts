/**
 * One file's recorded state, as the agent observes it and the server stores it (CONTRACT "Entry").
 * Plain TypeScript so the agent bundle carries no schema library; the API validates the same
 * shape with `EntrySchema` in entry.schemas.ts.
 */
export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

export type HashAlgorithm = 'sha256' | 'sha512' | 'sha1' | 'md5';

export interface Entry {
  type: EntryType;
  size: number;
  /** Permission bits as four octal digits, e.g. "0644". */
  mode: string;
  uid: number;
  gid: number;
  /** ISO-8601 UTC with milliseconds. */
  mtime: string;
  ctime: string;
  inode: number;
  hash?: { algorithm: HashAlgorithm; value: string };
  linkTarget?: string;
}

/** An entry together with its absolute path: the unit the agent walks and the tree is built from. */
export type PathEntry = [path: string, entry: Entry];

export const ENTRY_ATTRIBUTES = ['content', 'size', 'mode', 'owner', 'group', 'mtime', 'ctime', 'inode', 'linkTarget', 'type'] as const;
export type EntryAttribute = (typeof ENTRY_ATTRIBUTES)[number];
