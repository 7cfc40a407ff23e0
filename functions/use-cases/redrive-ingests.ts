import { deployedVisibilityTimeoutSeconds, enqueueMany } from '../queues/enqueue.ts';
import { scanIngestQueue } from '../queues/queues.ts';
import { logger } from '../shared/logger.ts';
import { awaitsIngest, listScansAwaitingIngest, markIngestEnqueued } from '../store/scans.ts';

/** At most this many scans per shard and tick (16 shards): a backlog after an outage drains over a few ticks. */
const PER_SHARD = 100;

/**
 * The sweep of the minute tick: every scan of the tenant whose upload is recorded and whose ingest was
 * last enqueued more than a visibility timeout ago is enqueued again. Its message was lost (a crash
 * between the API's write and its send, a queue that dropped it) or its ingest keeps failing; either way
 * the table says the events are owed. The ingest is idempotent, so a re-drive that races a slow worker
 * changes nothing. Read from a sparse index (store/keys.ts `scanAwaitingIngest`), never a table scan.
 * Answers how many scans it re-drove.
 */
export async function redriveIngests(tenantId: string, now: Date): Promise<number> {
  const before = new Date(now.getTime() - deployedVisibilityTimeoutSeconds(scanIngestQueue) * 1000).toISOString();
  // The index is eventually consistent: a scan completed a moment ago may still be listed; the ingest skips it.
  const stuck = (await listScansAwaitingIngest(tenantId, before, PER_SHARD)).filter(awaitsIngest);
  if (stuck.length === 0) return 0;
  // Sent first, then marked: a crash in between re-drives twice (harmless), never zero times.
  await enqueueMany(scanIngestQueue, stuck.map((scan) => ({ tenantId, scanId: scan.id })));
  await Promise.all(stuck.map((scan) => markIngestEnqueued(tenantId, scan.id, now.toISOString())));
  logger.warn('scan ingests re-driven', { tenantId, scanIds: stuck.map((s) => s.id), uploadedAt: stuck.map((s) => s.uploadedAt) });
  return stuck.length;
}
