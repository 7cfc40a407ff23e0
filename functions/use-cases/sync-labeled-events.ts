import { enqueue } from '../queues/enqueue.ts';
import { labelSyncQueue } from '../queues/queues.ts';
import { listSyncDestinations, oweSyncRun } from '../store/sync-destinations.ts';
import { deliverLabeledEvents, type DeliveryDeps } from './deliver-labeled-events.ts';
import { handOnLabelRecords } from './hand-on-label-records.ts';

/**
 * The label-sync worker's use case, for one tenant: hand the new notify-label records on to the destinations'
 * outboxes, then deliver to every destination that is owed a run, all at once and each on its own (a slow
 * or failing receiver holds up only itself). When records or batches are left, or a run was asked for while
 * this one worked, the worker wakes itself again; the destinations' `owedAt` keeps that owed in the table.
 */
export async function syncLabeledEvents(message: { tenantId: string }, now: Date, deps: DeliveryDeps = {}): Promise<void> {
  const { tenantId } = message;
  const handed = await handOnLabelRecords(tenantId, now);
  const destinations = await listSyncDestinations(tenantId, true);
  if (handed.more) {
    // More records wait: every enabled destination is owed the next run, which this one sends.
    for (const d of destinations.filter((d) => d.enabled && !d.owedAt)) {
      if (await oweSyncRun(tenantId, d.id, now.toISOString(), undefined)) d.owedAt = now.toISOString();
    }
  }
  const owed = destinations.filter((d) => d.owedAt);
  const results = await Promise.allSettled(owed.map((d) => deliverLabeledEvents(tenantId, d.id, now, deps)));
  let again = handed.more;
  for (const [i, result] of results.entries()) {
    if (result.status === 'fulfilled' && result.value === 'owed-again') again = true;
    // Another run holds it: tell it (a newer owedAt) that more came in, so it runs once more when it ends.
    if (result.status === 'fulfilled' && result.value === 'busy') {
      const dest = owed[i]!;
      const bumped = await oweSyncRun(tenantId, dest.id, new Date(now.getTime() + 1).toISOString(), dest.owedAt);
      // It finished in between: owe a run of our own instead.
      if (!bumped && (await oweSyncRun(tenantId, dest.id, now.toISOString(), undefined))) again = true;
    }
  }
  if (again) await enqueue(labelSyncQueue, { tenantId });
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
