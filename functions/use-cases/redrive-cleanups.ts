import { deployedVisibilityTimeoutSeconds, enqueueMany } from '../queues/enqueue.ts';
import { labelCleanupQueue } from '../queues/queues.ts';
import { logger } from '../shared/logger.ts';
import { listCleanupsOwed, markCleanupProgress } from '../store/label-cleanups.ts';

/** At most this many cleanups per tenant and tick: a backlog drains over a few ticks. */
const PER_TICK = 100;

/**
 * The sweep of the minute tick for deleted labels and rules: a cleanup that made no progress for longer than
 * the queue's visibility timeout lost its message (a crash between the tombstone and the send) or keeps
 * failing, and is sent again. The cleanup is idempotent, so one racing a slow worker changes nothing; the
 * progress mark after the send keeps the next tick from sending it again at once. Answers how many it sent.
 */
export async function redriveCleanups(tenantId: string, now: Date): Promise<number> {
  const before = new Date(now.getTime() - deployedVisibilityTimeoutSeconds(labelCleanupQueue) * 1000).toISOString();
  const owed = await listCleanupsOwed(tenantId, before, PER_TICK);
  if (owed.length === 0) return 0;
  // Sent first, then marked: a crash in between sends twice (harmless), never zero times.
  await enqueueMany(labelCleanupQueue, owed.map((cleanup) => ({ tenantId, ...cleanup })));
  await Promise.all(owed.map((cleanup) => markCleanupProgress(tenantId, cleanup, now)));
  logger.warn('label cleanups re-driven', { tenantId, cleanups: owed });
  return owed.length;
}
