import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { ScanKind } from '../functions/contract/agent.schemas.ts';
import type { PathEntry } from '../functions/contract/entry.ts';
import { fsyncDir, writeFileAtomic } from './atomic-file.ts';
import { paths } from './state.ts';
import type { WalkCounts } from './deliver.ts';

/**
 * Scan results that could not be uploaded because the API was unreachable, kept on disk until the
 * next run sends them, oldest first. A record is a directory holding `record.json` and one tree file
 * per policy (tree-file.ts: moved in from the scan, never loaded whole), created under a temporary name
 * and renamed into place; it is deleted only once `complete` answered 200, so a crash at any point
 * leaves either the record (sent again; the server dedups by hash) or nothing left to send.
 * Records of earlier versions (`*.json.gz`, entries as JSON) are still read and sent.
 */

export interface SpoolResult extends WalkCounts {
  policyId: string;
  root: string;
  /** The policy's tree file (absolute when read; its name inside the record on disk). */
  file: string;
}

export interface SpoolRecord {
  version: 2;
  /** The server the scan belongs to; a record of another enrollment is never sent with this one. */
  serverId: string;
  /** The server's scan id, or null when the API was down before a scan could be created. */
  scanId: string | null;
  kind: ScanKind;
  /** When walking finished; sent in `complete` so events keep the time of detection. */
  scannedAt: string;
  results: SpoolResult[];
}

/** A record of an earlier version: the entries themselves. */
export interface LegacySpoolRecord extends Omit<SpoolRecord, 'version' | 'results'> {
  version: 1;
  results: (WalkCounts & { policyId: string; entries: PathEntry[] })[];
}

export interface SpoolLimits {
  maxFiles: number;
  maxBytes: number;
}

/** Bounded so a long outage cannot fill the disk; beyond it new results are refused, the oldest kept. */
export const DEFAULT_SPOOL_LIMITS: SpoolLimits = { maxFiles: 20, maxBytes: 200 * 1024 * 1024 };

export interface SpoolFile {
  name: string;
  path: string;
  size: number;
}

const LEGACY_SUFFIX = '.json.gz';
const SUFFIX = '.scan';
const RECORD = 'record.json';
let sequence = 0;

/** Bytes of a record: its directory's files, or a legacy file. */
function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + statSync(join(path, name)).size, 0);
}

/** Spooled records, oldest first (names start with a zero-padded time and a sequence number). */
export function listSpool(stateDir: string): SpoolFile[] {
  const dir = paths(stateDir).spool;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => name.endsWith(SUFFIX) || name.endsWith(LEGACY_SUFFIX))
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      try {
        return [{ name, path, size: sizeOf(path) }];
      } catch {
        return []; // removed meanwhile by another agent process
      }
    });
}

export const spoolCount = (stateDir: string): number => listSpool(stateDir).length;

/** The record name: sortable by time, then by order of writing within this process. */
export function spoolName(scanId: string | null, now: number): string {
  sequence = (sequence + 1) % 1_000_000;
  const id = scanId ? scanId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) : `local-${randomBytes(6).toString('hex')}`;
  return `${String(now).padStart(15, '0')}-${String(sequence).padStart(6, '0')}-${id}${SUFFIX}`;
}

/**
 * Adds a record to the spool atomically, moving its tree files into it. Answers its path, or null when
 * the spool is full (the caller logs it: those results are lost, the next scan finds the same changes
 * again; the tree files are left where they were).
 */
export function addToSpool(stateDir: string, record: SpoolRecord, limits: SpoolLimits = DEFAULT_SPOOL_LIMITS, now = Date.now()): string | null {
  const bytes = record.results.reduce((sum, r) => sum + statSync(r.file).size, 0);
  const existing = listSpool(stateDir);
  const used = existing.reduce((sum, f) => sum + f.size, 0);
  if (existing.length >= limits.maxFiles || used + bytes > limits.maxBytes) return null;
  const dir = paths(stateDir).spool;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, spoolName(record.scanId, now));
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  mkdirSync(temp, { mode: 0o700 });
  try {
    const results = record.results.map((r, i) => {
      const name = `${i}.tree`;
      renameSync(r.file, join(temp, name));
      return { ...r, file: name };
    });
    writeFileAtomic(join(temp, RECORD), JSON.stringify({ ...record, results }), 0o600);
    renameSync(temp, path);
    fsyncDir(dir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  return path;
}

/** Reads one spooled record (tree files as absolute paths), or a legacy one; throws on a damaged record (the caller quarantines it). */
export function readSpool(path: string): SpoolRecord | LegacySpoolRecord {
  if (path.endsWith(LEGACY_SUFFIX)) {
    const legacy = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as LegacySpoolRecord;
    if (legacy?.version !== 1 || !Array.isArray(legacy.results) || typeof legacy.scannedAt !== 'string') throw new Error('not a spool record');
    return legacy;
  }
  const record = JSON.parse(readFileSync(join(path, RECORD), 'utf8')) as SpoolRecord;
  if (record?.version !== 2 || !Array.isArray(record.results) || typeof record.scannedAt !== 'string') throw new Error('not a spool record');
  return { ...record, results: record.results.map((r) => ({ ...r, file: join(path, r.file) })) };
}

/** Rewrites a record's scan id in place (to remember the scan id created for it before sending). */
export function rewriteSpoolScanId(path: string, scanId: string | null): void {
  if (path.endsWith(LEGACY_SUFFIX)) return; // sent from a converted copy; a crash re-creates a scan once more
  const record = JSON.parse(readFileSync(join(path, RECORD), 'utf8')) as SpoolRecord;
  writeFileAtomic(join(path, RECORD), JSON.stringify({ ...record, scanId }), 0o600);
}

export function removeSpool(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Moves a record that can never be sent out of the queue, keeping it for a human to look at. */
export function quarantineSpool(stateDir: string, file: SpoolFile): string {
  const dir = join(paths(stateDir).spool, 'rejected');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, file.name);
  renameSync(file.path, target);
  return target;
}
