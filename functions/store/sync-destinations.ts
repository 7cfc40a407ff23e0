import type { SyncFormat } from '../model/enums.ts';
import { syncKeys } from './keys.ts';
import { defineEntity } from './entity.ts';
import { queryAll, updateItem, type Changes, type Condition } from './db.ts';

/**
 * A sync destination as stored: what the user set (the secret sealed, never in the clear), where it starts
 * in the label record sequence, and its delivery state, which the label-sync worker moves with conditional
 * updates (a lease, so one run at a time delivers to it) and the API never overwrites (PATCH sets only the
 * fields it changes).
 */
export interface SyncDestinationItem {
  id: string;
  name: string;
  type: 'webhook';
  url: string;
  format: SyncFormat;
  enabled: boolean;
  disabledReason: string | null;
  /** shared/secrets.ts sealSecret of the signing secret, bound to the tenant and this destination. */
  sealedSecret: string;
  /** The secret before the last change, still used to sign until `previousSecretValidUntil`. */
  sealedPreviousSecret?: string;
  previousSecretValidUntil: string | null;
  /**
   * The tenant's label record sequence when the destination was created: it receives the records written
   * after that. Absent for the instant between the creation and the read of the sequence (the sync then
   * hands on nothing until it is set).
   */
  fromSeq?: number;
  createdAt: string;
  updatedAt: string;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  consecutiveFailures: number;
  lastAttemptAt: string | null;
  retryAt: string | null;
  /** A run is owed (the tick found it due, or send-now): set before the wake-up is sent, cleared by the run. */
  owedAt?: string;
  /** Epoch ms until which one run holds the destination. */
  leaseUntil?: number;
}

export const syncDestinations = defineEntity<SyncDestinationItem>({
  name: 'sync destination',
  key: (tenantId, id) => syncKeys.destination(tenantId, id),
  idOf: (dest) => dest.id,
});

export const getSyncDestination = (tenantId: string, id: string, consistent = false) => syncDestinations.get(tenantId, id, { consistent });

/** Every destination of a tenant (a handful: one small partition read), read consistently when asked. */
export async function listSyncDestinations(tenantId: string, consistent = false): Promise<SyncDestinationItem[]> {
  return (await queryAll({ ...syncKeys.destinations(tenantId), consistent })).map(syncDestinations.fromItem);
}

/** `owedAt` as it was read (absent when it was absent): the condition of moves that must not cross another run's. */
function owedStill(seen: string | undefined): Condition {
  return seen === undefined
    ? { expression: 'attribute_exists(pk) AND attribute_not_exists(#owed)', names: { '#owed': 'owedAt' } }
    : { expression: '#owed = :seen', names: { '#owed': 'owedAt' }, values: { ':seen': seen } };
}

/** Owes the destination a run from `at`, unless another tick or send-now moved `owedAt` since it was read as `seen`. */
export async function oweSyncRun(tenantId: string, id: string, at: string, seen: string | undefined): Promise<boolean> {
  return (await updateItem(syncKeys.destination(tenantId, id), { set: { owedAt: at } }, owedStill(seen))) !== undefined;
}

/** Sets where a new destination starts in the record sequence (once). */
export async function setFromSeq(tenantId: string, id: string, seq: number): Promise<boolean> {
  return (await updateItem(syncKeys.destination(tenantId, id), { set: { fromSeq: seq } }, { expression: 'attribute_exists(pk) AND attribute_not_exists(fromSeq)' })) !== undefined;
}

/** Takes the destination for one run until `untilMs`, unless another run holds it; the destination as taken. */
export async function leaseSyncDestination(tenantId: string, id: string, nowMs: number, untilMs: number): Promise<SyncDestinationItem | undefined> {
  const updated = await updateItem(
    syncKeys.destination(tenantId, id),
    { set: { leaseUntil: untilMs } },
    { expression: 'attribute_exists(pk) AND (attribute_not_exists(#lease) OR #lease < :now)', names: { '#lease': 'leaseUntil' }, values: { ':now': nowMs } },
  );
  return updated ? syncDestinations.fromItem(updated) : undefined;
}

/**
 * Ends a run: records its outcome (health fields), lets go of the lease, and clears `owedAt` if it is still
 * the one the run set out to serve (`owedSeen`). With `owedAgainAt` (the run stopped with work left) it stays
 * owed from then. Answers whether another run is owed (a send-now or tick came in meanwhile, or work is left).
 */
export async function finishSyncRun(tenantId: string, id: string, outcome: Changes, owedSeen: string | undefined, owedAgainAt?: string): Promise<boolean> {
  const key = syncKeys.destination(tenantId, id);
  const release: Changes = { ...outcome, remove: [...(outcome.remove ?? []), 'leaseUntil'] };
  if (owedSeen === undefined) {
    await updateItem(key, release);
    return false;
  }
  if (owedAgainAt !== undefined) {
    await updateItem(key, { ...release, set: { ...release.set, owedAt: owedAgainAt } });
    return true;
  }
  if (await updateItem(key, { ...release, remove: [...release.remove!, 'owedAt'] }, owedStill(owedSeen))) return false;
  await updateItem(key, release);
  return true;
}

/** Changes fields the user sets, only while the destination is the version read (`updatedAt`). */
export async function updateSyncDestinationSettings(tenantId: string, id: string, changes: Changes, seenUpdatedAt: string): Promise<SyncDestinationItem | undefined> {
  const updated = await updateItem(syncKeys.destination(tenantId, id), changes, { expression: '#u = :u', names: { '#u': 'updatedAt' }, values: { ':u': seenUpdatedAt } });
  return updated ? syncDestinations.fromItem(updated) : undefined;
}
