import { enqueue } from '../queues/enqueue.ts';
import { labelSyncQueue } from '../queues/queues.ts';
import { ConflictError, NotFoundError } from '../shared/problem.ts';
import { getSyncDestination, oweSyncRun } from '../store/sync-destinations.ts';

/**
 * Send-now (Tanium's "Send Data Now"): the destination is owed a run at once, whatever its interval or
 * backoff says; recorded on the destination first, then the worker is woken (a lost wake-up is sent again
 * by the schedule tick).
 */
export async function requestSyncNow(tenantId: string, destinationId: string, now: Date): Promise<{ destinationId: string; requestedAt: string }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const dest = await getSyncDestination(tenantId, destinationId, true);
    if (!dest) throw new NotFoundError('sync destination');
    if (!dest.enabled) throw new ConflictError(`The destination is disabled${dest.disabledReason ? ` (${dest.disabledReason})` : ''}; PATCH it with {"enabled": true} first.`);
    if (await oweSyncRun(tenantId, destinationId, now.toISOString(), dest.owedAt)) {
      await enqueue(labelSyncQueue, { tenantId });
      return { destinationId, requestedAt: now.toISOString() };
    }
  }
  throw new ConflictError('The destination kept changing; try again.');
}
