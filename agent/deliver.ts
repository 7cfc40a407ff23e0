import type { Tree } from '../functions/contract/tree.ts';
import { ApiError, type ApiClient, type ByteMeter } from './client.ts';
import { syncTree } from './sync.ts';

/**
 * Delivers a scan's trees: `complete` first (an unchanged scan costs exactly this one small request),
 * and only when the server answers 409 {missing: [roots]} sync those trees and complete again.
 */

export interface PolicyTree {
  policyId: string;
  tree: Tree;
  filesScanned: number;
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
export async function deliver(client: ApiClient, scanId: string, trees: readonly PolicyTree[], scannedAt: string, meter: ByteMeter): Promise<void> {
  const path = `/v1/agent/scans/${encodeURIComponent(scanId)}/complete`;
  const body = {
    scannedAt,
    results: trees.map((t) => ({ policyId: t.policyId, root: t.tree.root, filesScanned: t.filesScanned })),
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const res = await client.request<{ missing?: unknown }>('POST', path, { body, accept: [409], meter });
    if (res.status !== 409) return;
    const missing = res.body?.missing;
    // A 409 without a list of roots is a real conflict (e.g. the scan was failed meanwhile).
    if (!Array.isArray(missing)) throw new ApiError(409, res.body, 'POST', path);
    const wanted = new Set(missing.map(String));
    const toSync = trees.filter((t) => wanted.has(t.tree.root));
    if (toSync.length === 0) throw new ProtocolError(`server lacks roots this scan does not have: ${[...wanted].join(', ')}`);
    for (const t of toSync) await syncTree(client, scanId, t.policyId, t.tree, meter);
  }
  throw new ProtocolError(`scan ${scanId}: the server still lacks trees after ${MAX_ROUNDS} uploads`);
}
