import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ScanKind } from '../functions/contract/agent.schemas.ts';
import type { PathEntry } from '../functions/contract/entry.ts';
import { isTempFile, writeFileAtomic } from './atomic-file.ts';
import { paths } from './state.ts';
import type { WalkCounts } from './deliver.ts';

/**
 * Scan results that could not be uploaded because the API was unreachable, kept on disk until the
 * next run sends them, oldest first. A file holds the entries (not the tree): the tree is rebuilt
 * when sent, and the file is deleted only once `complete` answered 200, so a crash at any point
 * leaves either the file (sent again; the server dedups by hash) or nothing left to send.
 */

export interface SpoolRecord {
  version: 1;
  /** The server the scan belongs to; a record of another enrollment is never sent with this one. */
  serverId: string;
  /** The server's scan id, or null when the API was down before a scan could be created. */
  scanId: string | null;
  kind: ScanKind;
  /** When walking finished; sent in `complete` so events keep the time of detection. */
  scannedAt: string;
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

const SUFFIX = '.json.gz';
let sequence = 0;

/** Spooled files, oldest first (names start with a zero-padded time and a sequence number). */
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
    .filter((name) => name.endsWith(SUFFIX) && !isTempFile(name))
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      try {
        return [{ name, path, size: statSync(path).size }];
      } catch {
        return []; // removed meanwhile by another agent process
      }
    });
}

export const spoolCount = (stateDir: string): number => listSpool(stateDir).length;

/** The spool file name: sortable by time, then by order of writing within this process. */
export function spoolName(scanId: string | null, now: number): string {
  sequence = (sequence + 1) % 1_000_000;
  const id = scanId ? scanId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) : `local-${randomBytes(6).toString('hex')}`;
  return `${String(now).padStart(15, '0')}-${String(sequence).padStart(6, '0')}-${id}${SUFFIX}`;
}

/**
 * Adds a record to the spool atomically. Answers its path, or null when the spool is full
 * (the caller logs it: those results are lost, the next scan finds the same changes again).
 */
export function addToSpool(stateDir: string, record: SpoolRecord, limits: SpoolLimits = DEFAULT_SPOOL_LIMITS, now = Date.now()): string | null {
  const data = gzipSync(JSON.stringify(record));
  const existing = listSpool(stateDir);
  const used = existing.reduce((sum, f) => sum + f.size, 0);
  if (existing.length >= limits.maxFiles || used + data.length > limits.maxBytes) return null;
  const dir = paths(stateDir).spool;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, spoolName(record.scanId, now));
  writeFileAtomic(path, data, 0o600);
  return path;
}

/** Reads one spooled record; throws on a damaged file (the caller quarantines it). */
export function readSpool(path: string): SpoolRecord {
  const record = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as SpoolRecord;
  if (record?.version !== 1 || !Array.isArray(record.results) || typeof record.scannedAt !== 'string') {
    throw new Error('not a spool record');
  }
  return record;
}

/** Rewrites a record in place (to remember the scan id created for it before sending). */
export function rewriteSpool(path: string, record: SpoolRecord): void {
  writeFileAtomic(path, gzipSync(JSON.stringify(record)), 0o600);
}

export function removeSpool(path: string): void {
  rmSync(path, { force: true });
}

/** Moves a record that can never be sent out of the queue, keeping it for a human to look at. */
export function quarantineSpool(stateDir: string, file: SpoolFile): string {
  const dir = join(paths(stateDir).spool, 'rejected');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, file.name);
  renameSync(file.path, target);
  return target;
}
