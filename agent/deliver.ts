import type { OptionalAttribute } from '../functions/contract/entry.ts';
import { ApiError, type ApiClient, type ByteMeter } from './client.ts';
import { StoredTree } from './tree-file.ts';
import { log } from './log.ts';
import { isMissingNodeError, syncTree } from './sync.ts';
import type { TreeMemory } from './tree-memory.ts';

/**
 * Delivers a scan's trees: `complete` first (an unchanged scan costs exactly this one small request),
 * and only when the server answers 409 {missing: [roots]} sync those trees and complete again.
 * With a memory of the trees the server last accepted, a changed tree is synced from it (no `have`,
 * deltas against its nodes); when that memory proves wrong (the server refuses the upload as naming a
 * node it lacks, or still lacks the root) it is dropped and the tree is synced with `have`, whole
 * nodes. Every accepted tree becomes the memory of its policy.
 */

/** What `complete` reports of one policy's walk besides its root (CompleteRequestSchema). */
export interface WalkCounts {
  filesScanned: number;
  skipped?: number;
  unreadable?: number;
  unsupportedAttributes?: OptionalAttribute[];
}

/** One policy's scan: its counts, its root and the tree file holding it (ScanTree, or the spool). */
export interface PolicyTree extends WalkCounts {
  policyId: string;
  root: string;
  file: string;
}

/** The counts of `complete` out of anything that carries them. */
export function walkCounts(from: WalkCounts): WalkCounts {
  const { filesScanned, skipped, unreadable, unsupportedAttributes } = from;
  return { filesScanned, ...(skipped !== undefined ? { skipped } : {}), ...(unreadable !== undefined ? { unreadable } : {}), ...(unsupportedAttributes ? { unsupportedAttributes } : {}) };
}

export interface DeliverOptions {
  /** Trees the server accepted before (tree-memory.ts); without it every sync asks `have`. */
  memory?: TreeMemory;
  /**
   * Sync with `have` even when a memory exists (baseline rebuilds and --full scans): nodes another
   * server of the tenant already uploaded (a golden image) are then not sent again. The memory is
   * still updated.
   */
  ignoreMemory?: boolean;
}

/** More rounds than this means the server keeps refusing what it was sent: stop, do not loop. */
const MAX_ROUNDS = 4;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Completes scan `scanId` with `trees`, syncing whatever roots the server lacks. */
export async function deliver(
  client: ApiClient,
  scanId: string,
  trees: readonly PolicyTree[],
  scannedAt: string,
  meter: ByteMeter,
  opts: DeliverOptions = {},
): Promise<void> {
  const path = `/v1/agent/scans/${encodeURIComponent(scanId)}/complete`;
  const body = {
    scannedAt,
    results: trees.map((t) => ({ policyId: t.policyId, root: t.root, ...walkCounts(t) })),
  };
  const memory = opts.memory;
  // Policies whose memory this delivery already used: it is recalled at most once.
  const recalled = new Set<string>();
  // Of those, the ones whose last upload relied on it: a 409 for their root proves it wrong.
  const trusting = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const res = await client.request<{ missing?: unknown }>('POST', path, { body, accept: [409], meter });
    if (res.status !== 409) {
      if (memory) for (const t of trees) memory.adopt(t.policyId, t.file);
      return;
    }
    const missing = res.body?.missing;
    // A 409 without a list of roots is a real conflict (e.g. the scan was failed meanwhile).
    if (!Array.isArray(missing)) throw new ApiError(409, res.body, 'POST', path);
    const wanted = new Set(missing.map(String));
    const toSync = trees.filter((t) => wanted.has(t.root));
    if (toSync.length === 0) throw new ProtocolError(`server lacks roots this scan does not have: ${[...wanted].join(', ')}`);
    for (const t of toSync) {
      const tree = StoredTree.open(t.file);
      if (!tree || tree.root !== t.root) throw new ProtocolError(`the tree file of policy ${t.policyId} (${t.file}) is missing or damaged`);
      if (memory && trusting.delete(t.policyId)) {
        log.warn(`scan ${scanId} policy ${t.policyId}: the server lacks nodes of the tree it accepted before; syncing with have`);
        memory.forget(t.policyId);
      }
      const previous = memory && !opts.ignoreMemory && !recalled.has(t.policyId) ? memory.recall(t.policyId) : null;
      if (memory && previous) {
        recalled.add(t.policyId);
        try {
          await syncTree(client, scanId, t.policyId, tree, meter, { previous });
          trusting.add(t.policyId);
          continue;
        } catch (error) {
          if (!isMissingNodeError(error)) throw error;
          log.warn(`scan ${scanId} policy ${t.policyId}: ${(error as Error).message}; syncing with have`);
          memory.forget(t.policyId);
        }
      }
      await syncTree(client, scanId, t.policyId, tree, meter);
    }
  }
  throw new ProtocolError(`scan ${scanId}: the server still lacks trees after ${MAX_ROUNDS} uploads`);
}
