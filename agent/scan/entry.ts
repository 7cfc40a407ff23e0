import type { Stats } from 'node:fs';
import type { Entry, EntryType, HashAlgorithm } from '../../functions/contract/entry.ts';

/** Turns lstat/fstat results into the contract's Entry. */

export function entryType(st: Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Permission bits (incl. setuid/setgid/sticky) as four octal digits: "0644", "4755". */
export function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

const MAX_DATE_MS = 8.64e15;
/** "YYYY-MM-DDTHH:MM:SS." by whole second: files of one tree share seconds, and Date formatting is slow. */
const secondPrefixes = new Map<number, string>();

/**
 * `new Date(ms).toISOString()` (ISO-8601 UTC with milliseconds), faster for repeated seconds; clamps
 * the absurd timestamps a filesystem can hold to Date's range.
 */
export function isoTime(ms: number): string {
  const t = Number.isFinite(ms) ? Math.trunc(Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, ms))) : 0;
  const second = Math.floor(t / 1000);
  let prefix = secondPrefixes.get(second);
  if (prefix === undefined) {
    const full = new Date(t).toISOString();
    if (full.length !== 24) return full; // years beyond 0000-9999: +YYYYYY form, not cached
    if (secondPrefixes.size >= 4096) secondPrefixes.clear();
    prefix = full.slice(0, 20);
    secondPrefixes.set(second, prefix);
  }
  const milli = t - second * 1000;
  return `${prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** The stat fields an Entry is made of (a Stats, or what a hash worker reports). */
export interface StatFields {
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  nlink: number;
}

export function toEntry(type: EntryType, st: StatFields, hash?: { algorithm: HashAlgorithm; value: string }, linkTarget?: string): Entry {
  const entry: Entry = {
    type,
    size: st.size,
    mode: modeString(st.mode),
    uid: st.uid,
    gid: st.gid,
    mtime: isoTime(st.mtimeMs),
    ctime: isoTime(st.ctimeMs),
    inode: st.ino,
    nlink: st.nlink,
  };
  if (hash) entry.hash = hash;
  if (linkTarget !== undefined) entry.linkTarget = linkTarget;
  return entry;
}
