import type { SyncDestination } from '../model/sync-destination.ts';
import { recordsPendingSync } from '../store/label-history.ts';
import type { SyncDestinationItem } from '../store/sync-destinations.ts';
import { countOwed } from '../store/sync-outbox.ts';

/**
 * Destinations as served: what the user set (never the secret) and their health, with `pendingCount` the
 * applications owed to each: those already in its outbox plus those recorded since it was created and not yet
 * handed on by a sync (one read of the tenant's pending records serves every destination of the answer).
 */
export async function servedDestinations(tenantId: string, items: readonly SyncDestinationItem[], now: Date): Promise<SyncDestination[]> {
  if (items.length === 0) return [];
  const [waiting, owed] = await Promise.all([recordsPendingSync(tenantId, 1000, now), Promise.all(items.map((d) => countOwed(tenantId, d.id)))]);
  return items.map((d, i) => served(d, owed[i]! + (d.fromSeq === undefined ? 0 : waiting.filter((r) => r.seq > d.fromSeq!).length)));
}

export async function servedDestination(tenantId: string, item: SyncDestinationItem, now: Date): Promise<SyncDestination> {
  return (await servedDestinations(tenantId, [item], now))[0]!;
}

function served(d: SyncDestinationItem, pendingCount: number): SyncDestination {
  return {
    id: d.id,
    name: d.name,
    type: d.type,
    url: d.url,
    format: d.format,
    enabled: d.enabled,
    disabledReason: d.disabledReason,
    previousSecretValidUntil: d.previousSecretValidUntil,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    lastSuccessAt: d.lastSuccessAt,
    lastError: d.lastError,
    lastErrorAt: d.lastErrorAt,
    consecutiveFailures: d.consecutiveFailures,
    nextAttemptAt: d.retryAt,
    pendingCount,
  };
}
