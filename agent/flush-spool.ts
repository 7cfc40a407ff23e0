import { buildTree } from '../functions/contract/tree.ts';
import { ApiError, UnreachableError, type ByteMeter } from './client.ts';
import type { AgentContext } from './context.ts';
import { deliver, ProtocolError, walkCounts } from './deliver.ts';
import { errorMessage, log } from './log.ts';
import { createScan, recordLastScan } from './run-scan.ts';
import { listSpool, quarantineSpool, readSpool, removeSpool, rewriteSpool, type SpoolFile } from './spool.ts';
import { treeMemory } from './tree-memory.ts';

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
    const trees = record.results.map((r) => ({ policyId: r.policyId, tree: buildTree(r.entries), ...walkCounts(r) }));
    const filesScanned = record.results.reduce((sum, r) => sum + r.filesScanned, 0);
    const meter: ByteMeter = { bytes: 0 };
    const memory = treeMemory(ctx.stateDir, ctx.credential.serverId);
    // One fresh scan is allowed when the server no longer accepts the recorded one (gone or closed).
    for (let fresh = 0; ; fresh++) {
      try {
        if (record.scanId === null) {
          record.scanId = await createScan(ctx, record.kind, meter);
          // Remember the id before sending, so a crash now does not create a second scan next time.
          rewriteSpool(file.path, record);
        }
        await deliver(ctx.client, record.scanId, trees, record.scannedAt, meter, { memory, ignoreMemory: record.kind === 'baseline' });
        removeSpool(file.path);
        recordLastScan(ctx.stateDir, record.scanId, record.scannedAt, filesScanned, meter.bytes);
        log.info(`spooled scan ${record.scanId} from ${record.scannedAt} delivered (${meter.bytes} bytes sent)`);
        sent++;
        sentScanIds.push(record.scanId);
        break;
      } catch (error) {
        if (error instanceof UnreachableError) {
          log.warn(`${error.message}; ${files.length - i} scan(s) stay spooled`);
          return { sent, sentScanIds, remaining: files.length - i, unreachable: true };
        }
        const refused = error instanceof ApiError && [404, 409, 410].includes(error.status);
        if (refused && fresh === 0) {
          log.warn(`scan ${record.scanId} no longer accepts results (${error.message}); sending them as a new scan`);
          record.scanId = null;
          continue;
        }
        if (error instanceof ApiError || error instanceof ProtocolError) {
          quarantine(ctx, file, error.message);
          break;
        }
        throw error;
      }
    }
  }
  return { sent, sentScanIds, remaining: listSpool(ctx.stateDir).length, unreachable: false };
}
