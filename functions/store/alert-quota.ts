import type { HeldBack } from '../domain/alert-mail.ts';
import { alertKeys } from './keys.ts';
import { getItem, putItem, queryAll, updateItem } from './db.ts';

/**
 * Flood control of one alert profile in one UTC hour, in one small item: how many digests it mailed, and
 * what it held back once the hour's limit was reached (change count, whether any was critical, since when),
 * until one digest claims that summary to report it. Servers held back are one tiny item each beside it
 * (counted when reported), so the counter item stays small and cheap to update in a flood.
 */
export interface QuotaItem {
  profileId: string;
  hour: string;
  sent?: number;
  heldChanges?: number;
  heldCritical?: number;
  heldSince?: string;
  /** The digest that reports what was held back; set once, and nothing is added after it. */
  reportedBy?: string;
}

/** Takes one of the hour's mails of a profile; false when `limit` are out already. */
export async function takeMailSlot(tenantId: string, profileId: string, hour: string, limit: number): Promise<boolean> {
  const taken = await updateItem(
    alertKeys.alertQuota(tenantId, profileId, hour),
    { set: { profileId, hour }, add: { sent: 1 } },
    { expression: 'attribute_not_exists(#sent) OR #sent < :limit', names: { '#sent': 'sent' }, values: { ':limit': limit } },
  );
  return taken !== undefined;
}

/**
 * Adds held-back changes to an hour's count; false when that hour's summary was reported already (the
 * caller counts them in the next hour, so nothing is added where no one will read it).
 */
export async function holdBack(tenantId: string, profileId: string, hour: string, held: { changes: number; critical: number; serverId: string; at: string }): Promise<boolean> {
  const added = await updateItem(
    alertKeys.alertQuota(tenantId, profileId, hour),
    { set: { profileId, hour }, setIfMissing: { heldSince: held.at }, add: { heldChanges: held.changes, heldCritical: held.critical } },
    { expression: 'attribute_not_exists(reportedBy)' },
  );
  if (!added) return false;
  await putItem({ ...alertKeys.heldBackServer(tenantId, profileId, hour, held.serverId), serverId: held.serverId });
  return true;
}

/**
 * Claims the report of an hour's held-back changes for `digestId` (again, if it claimed it before): the
 * summary to put in its mail, or undefined when nothing was held back or another digest reports it.
 */
export async function claimHeldBack(tenantId: string, profileId: string, hour: string, digestId: string): Promise<Omit<HeldBack, 'link'> | undefined> {
  const claimed = await updateItem<QuotaItem>(
    alertKeys.alertQuota(tenantId, profileId, hour),
    { set: { reportedBy: digestId } },
    { expression: 'attribute_exists(heldChanges) AND (attribute_not_exists(reportedBy) OR reportedBy = :me)', values: { ':me': digestId } },
  );
  if (!claimed?.heldChanges) return undefined;
  const servers = await queryAll(alertKeys.heldBackServers(tenantId, profileId, hour));
  return { changes: claimed.heldChanges, critical: (claimed.heldCritical ?? 0) > 0, since: claimed.heldSince ?? hour, servers: Math.max(1, servers.length) };
}

/** Which digest claimed the report of an hour's held-back changes, if any. */
export async function heldBackReporter(tenantId: string, profileId: string, hour: string): Promise<string | undefined> {
  return (await getItem<QuotaItem>(alertKeys.alertQuota(tenantId, profileId, hour), true))?.reportedBy;
}
