import { rmSync } from 'node:fs';
import { ApiError, UnreachableError, type ByteMeter } from './client.ts';
import type { AgentContext } from './context.ts';
import { deliver, ProtocolError, walkCounts, type PolicyTree } from './deliver.ts';
import { errorMessage, log } from './log.ts';
import { createScan, recordLastScan } from './run-scan.ts';
import { ScanTree } from './scan-tree.ts';
import { listSpool, quarantineSpool, readSpool, removeSpool, rewriteSpoolScanId, type LegacySpoolRecord, type SpoolFile, type SpoolRecord } from './spool.ts';
import { scanTreeFileName, treeMemory } from './tree-memory.ts';

/**
 * Sends spooled scans, oldest first, before any new work, so the server sees changes in the order
 * they were detected. Stops at the first sign that the API is still unreachable.
 */

export interface FlushResult {
  sent: number;
  /** Server scan ids completed by this flush (a poll may still list them as pending). */
  sentScanIds: string[];
  /** Files still spooled after this flush. */
  remaining: number;
  unreachable: boolean;
}

function quarantine(ctx: AgentContext, file: SpoolFile, reason: string): void {
  try {
    const target = quarantineSpool(ctx.stateDir, file);
    log.error(`spooled scan ${file.name} can never be sent (${reason}); moved to ${target}`);
  } catch (error) {
    log.error(`spooled scan ${file.name} can never be sent (${reason}) and could not be moved: ${errorMessage(error)}`);
  }
}

/**
 * The trees of a spooled record: its tree files, or for a record of an earlier version, tree files
 * built from its entries (beside the memory, removed once sent).
 */
function policyTrees(ctx: AgentContext, record: SpoolRecord | LegacySpoolRecord): PolicyTree[] {
  if (record.version === 2) return record.results.map((r) => ({ policyId: r.policyId, root: r.root, file: r.file, ...walkCounts(r) }));
  return record.results.map((r) => {
    const tree = new ScanTree(scanTreeFileName(ctx.stateDir, r.policyId), null, ctx.credential.serverId);
    for (const entry of r.entries) tree.add(entry);
    const { root, file } = tree.finish();
    return { policyId: r.policyId, root, file, ...walkCounts(r) };
  });
}

export async function flushSpool(ctx: AgentContext): Promise<FlushResult> {
  const files = listSpool(ctx.stateDir);
  let sent = 0;
  const sentScanIds: string[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    let record;
    try {
      record = readSpool(file.path);
    } catch (error) {
      quarantine(ctx, file, `unreadable: ${errorMessage(error)}`);
      continue;
    }
    if (record.serverId !== ctx.credential.serverId) {
      quarantine(ctx, file, `belongs to server ${record.serverId}, this agent is now ${ctx.credential.serverId}`);
      continue;
    }
    let trees: PolicyTree[];
    try {
      trees = policyTrees(ctx, record);
    } catch (error) {
      quarantine(ctx, file, `unreadable: ${errorMessage(error)}`);
      continue;
    }
    const converted = record.version === 1 ? trees.map((t) => t.file) : [];
    const filesScanned = record.results.reduce((sum, r) => sum + r.filesScanned, 0);
    try {
      const outcome = await sendRecord(ctx, file, record, trees, filesScanned, files.length - i);
      if (outcome === 'unreachable') return { sent, sentScanIds, remaining: files.length - i, unreachable: true };
      if (outcome !== null) {
        sent++;
        sentScanIds.push(outcome);
      }
    } finally {
      // Tree files built from a legacy record are temporary (unless adopted as the memory just now).
      for (const temp of converted) rmSync(temp, { force: true });
    }
  }
  return { sent, sentScanIds, remaining: listSpool(ctx.stateDir).length, unreachable: false };
}

/**
 * Delivers one spooled record: answers its scan id once delivered, 'unreachable' (it stays spooled), or
 * null when it was quarantined.
 */
async function sendRecord(
  ctx: AgentContext,
  file: SpoolFile,
  record: SpoolRecord | LegacySpoolRecord,
  trees: PolicyTree[],
  filesScanned: number,
  remaining: number,
): Promise<string | 'unreachable' | null> {
  const meter: ByteMeter = { bytes: 0 };
  const memory = treeMemory(ctx.stateDir, ctx.credential.serverId);
  // One fresh scan is allowed when the server no longer accepts the recorded one (gone or closed).
  for (let fresh = 0; ; fresh++) {
    try {
      if (record.scanId === null) {
        record.scanId = await createScan(ctx, record.kind, meter);
        // Remember the id before sending, so a crash now does not create a second scan next time.
        rewriteSpoolScanId(file.path, record.scanId);
      }
      await deliver(ctx.client, record.scanId, trees, record.scannedAt, meter, { memory, ignoreMemory: record.kind === 'baseline' });
      removeSpool(file.path);
      recordLastScan(ctx.stateDir, record.scanId, record.scannedAt, filesScanned, meter.bytes);
      log.info(`spooled scan ${record.scanId} from ${record.scannedAt} delivered (${meter.bytes} bytes sent)`);
      return record.scanId;
    } catch (error) {
      if (error instanceof UnreachableError) {
        log.warn(`${error.message}; ${remaining} scan(s) stay spooled`);
        return 'unreachable';
      }
      const refused = error instanceof ApiError && [404, 409, 410].includes(error.status);
      if (refused && fresh === 0) {
        log.warn(`scan ${record.scanId} no longer accepts results (${error.message}); sending them as a new scan`);
        record.scanId = null;
        continue;
      }
      if (error instanceof ApiError || error instanceof ProtocolError) {
        quarantine(ctx, file, error.message);
        return null;
      }
      throw error;
    }
  }
}
