import { syncAction } from '../domain/sync-timing.ts';
import { deployedVisibilityTimeoutSeconds, enqueue } from '../queues/enqueue.ts';
import { labelSyncQueue } from '../queues/queues.ts';
import { DEFAULT_SETTINGS } from '../model/settings.ts';
import { listSyncDestinations, oweSyncRun } from '../store/sync-destinations.ts';
import { getTenant } from '../store/tenants.ts';

/**
 * The schedule tick's part in the label sync, for one tenant: each enabled destination whose interval has
 * passed since its last run, or whose backoff after a failure is over, is owed a run (written on the
 * destination first), and one whose owed run did not happen within the queue's visibility timeout (its
 * wake-up was lost, or its worker died) is owed it again; then the worker is woken, once for the tenant.
 * A tenant without destinations costs one small Query. Answers whether it woke the worker.
 */
export async function wakeLabelSync(tenantId: string, now: Date): Promise<boolean> {
  const destinations = await listSyncDestinations(tenantId);
  if (destinations.length === 0) return false;
  const interval = (await getTenant(tenantId))?.settings.labeledEventSyncIntervalMinutes ?? DEFAULT_SETTINGS.labeledEventSyncIntervalMinutes;
  const visibilityMs = deployedVisibilityTimeoutSeconds(labelSyncQueue) * 1000;
  let owed = false;
  for (const dest of destinations) {
    if (syncAction(dest, interval, now, visibilityMs) === 'none') continue;
    // Owed from now (a re-sent wake-up moves the clock too): conditional, so two ticks owe it once.
    if (await oweSyncRun(tenantId, dest.id, now.toISOString(), dest.owedAt)) owed = true;
  }
  if (owed) await enqueue(labelSyncQueue, { tenantId });
  return owed;
}
