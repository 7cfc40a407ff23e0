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
  /** Wire path form (functions/contract/wire-path.ts): every byte of the target survives. */
  linkTarget?: string;
  /** Hard link count. Absent in entries recorded before agents recorded it: then it is not compared. */
  nlink?: number;
  /**
   * Extended attributes other than ACLs and capabilities, by name: a short printable value as is,
   * any other value as `sha256:<hex>` (agent/scan/xattrs.ts). Absent: none (or not readable, see the
   * scan's `unsupportedAttributes`).
   */
  xattrs?: Record<string, string>;
  /** POSIX ACL in short text form (`user::rw-,user:1000:r--,group::r--,mask::r--,other::r--`), default ACL after `default:`. */
  acl?: string;
  /** File capabilities (`security.capability`) in getcap's text form, e.g. `cap_setuid=ep`. */
  caps?: string;
  /**
   * The entry exists and its metadata is known, but its content (a file) or listing (a directory) could
   * not be read: the error code, e.g. `EACCES`. Such a file has no hash.
   */
  unreadable?: string;
}

/** An entry together with its absolute path: the unit the agent walks and the tree is built from. */
export type PathEntry = [path: string, entry: Entry];

export const ENTRY_ATTRIBUTES = ['content', 'size', 'mode', 'owner', 'group', 'mtime', 'ctime', 'inode', 'linkTarget', 'type', 'xattrs', 'acl', 'caps', 'nlink'] as const;
export type EntryAttribute = (typeof ENTRY_ATTRIBUTES)[number];

/**
 * Attributes an agent may be unable to record (no `getfattr` on the host): a scan names those it could
 * not read (`unsupportedAttributes`), and the diff then does not compare them.
 */
export const OPTIONAL_ATTRIBUTES = ['xattrs', 'acl', 'caps'] as const satisfies readonly EntryAttribute[];
export type OptionalAttribute = (typeof OPTIONAL_ATTRIBUTES)[number];
