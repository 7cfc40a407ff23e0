import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir } from './atomic-file.ts';
import { errorMessage, log } from './log.ts';
import { paths } from './state.ts';
import { readTreeMeta, StoredTree } from './tree-file.ts';

/**
 * What the agent remembers of the last tree the server accepted for each policy (`complete` answered
 * 200): that tree's file (tree-file.ts), `<stateDir>/trees/<policyId>.tree`. The server never deletes a
 * node and stores one only once its whole subtree is stored, so every node of that tree is on the
 * server: the next changed scan uploads what is not in it without asking `have` (sync.ts planKnown), as
 * deltas against its nodes where shorter (delta.ts); the next scan also compares its nodes with it as
 * it builds them, so an unchanged scan writes no tree at all (scan-tree.ts).
 * Only a hint: a wrong or stale file costs one fallback to the `have` sync, never a wrong baseline.
 */

/** Per-policy memory of accepted trees, as deliver() uses it. */
export interface TreeMemory {
  /** The file of the last accepted tree of `policyId` (of this enrollment), or null. */
  file(policyId: string): string | null;
  /** That tree opened for planning, or null when there is none (or it is unusable). */
  recall(policyId: string): StoredTree | null;
  /** The server accepted `scanFile` (a tree file of this enrollment): it becomes the memory of `policyId`. */
  adopt(policyId: string, scanFile: string): void;
  /** Drops the memory of `policyId`: the server turned out not to hold it. */
  forget(policyId: string): void;
}

function safeName(policyId: string): string {
  return policyId.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function treeFileName(stateDir: string, policyId: string): string {
  return join(paths(stateDir).trees, `${safeName(policyId)}.tree`);
}

/** A fresh name for the tree file of a scan of `policyId` in progress (beside the memory: renamed into it). */
export function scanTreeFileName(stateDir: string, policyId: string): string {
  mkdirSync(paths(stateDir).trees, { recursive: true, mode: 0o700 });
  return join(paths(stateDir).trees, `${safeName(policyId)}.${process.pid}.${randomBytes(4).toString('hex')}.scan`);
}

/** The memories of earlier versions (entries as gzip'd JSON lines, hashes only); removed when the memory is next written. */
const legacyFileNames = (stateDir: string, policyId: string) => ['entries', 'nodes'].map((ext) => join(paths(stateDir).trees, `${safeName(policyId)}.${ext}`));

/** Scan tree files left behind by a process that died this long ago are removed. */
const STALE_SCAN_MS = 24 * 3600 * 1000;

/** Removes scan tree files (`*.scan`, `*.scan.base`, temporary files) untouched for a day: left by a crashed or killed agent. */
export function sweepScanTrees(stateDir: string, now = Date.now()): void {
  const dir = paths(stateDir).trees;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/\.scan$|\.scan\.base$|\.tmp$/.test(name)) continue;
    try {
      // The ctime too: a scan's pin (and an unchanged scan's file) is a new hard link to an accepted tree
      // whose mtime may be weeks old; making the link moved the ctime.
      const { mtimeMs, ctimeMs } = statSync(join(dir, name));
      if (now - Math.max(mtimeMs, ctimeMs) > STALE_SCAN_MS) rmSync(join(dir, name), { force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/** The memory kept in `stateDir` for enrollment `serverId`. Never throws: a failure only loses the hint. */
export function treeMemory(stateDir: string, serverId: string): TreeMemory {
  const memory: TreeMemory = {
    file(policyId) {
      const file = treeFileName(stateDir, policyId);
      return readTreeMeta(file)?.serverId === serverId ? file : null;
    },
    recall(policyId) {
      const file = memory.file(policyId);
      const tree = file ? StoredTree.open(file, serverId) : null;
      if (file && !tree) log.warn(`ignoring ${file}: damaged`);
      return tree;
    },
    adopt(policyId, scanFile) {
      const file = treeFileName(stateDir, policyId);
      try {
        mkdirSync(paths(stateDir).trees, { recursive: true, mode: 0o700 });
        // A scan identical to the memory is a hard link to it: the rename then changes nothing.
        renameSync(scanFile, file);
        rmSync(scanFile, { force: true });
        fsyncDir(paths(stateDir).trees);
        for (const legacy of legacyFileNames(stateDir, policyId)) rmSync(legacy, { force: true });
      } catch (error) {
        log.warn(`cannot remember the tree of policy ${policyId} (${file}): ${errorMessage(error)}`);
      }
    },
    forget(policyId) {
      for (const file of [treeFileName(stateDir, policyId), ...legacyFileNames(stateDir, policyId)]) {
        try {
          rmSync(file, { force: true });
        } catch (error) {
          log.warn(`cannot remove ${file}: ${errorMessage(error)}`);
        }
      }
    },
  };
  return memory;
}
