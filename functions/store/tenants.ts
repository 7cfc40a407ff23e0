import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import { newId } from '../shared/ids.ts';
import { deriveEnrollmentSecret, safeEqual } from '../shared/secrets.ts';
import { keys } from './keys.ts';
import { getItem, putNew, queryPage, type Page } from './db.ts';
import { createApiKey } from './api-keys.ts';
import { ensureUnassignedGroup } from './groups.ts';

/** The tenant item: name, settings, the enrollment key generation and the config version agents poll. */
export interface TenantItem {
  id: string;
  name: string;
  createdAt: string;
  enrollmentGeneration: number;
  /** Bumped on every change to policies, groups or server assignments; agents refetch config when it moves. */
  configVersion: number;
  checkInIntervalSeconds: number;
  settings: TenantSettings;
}

export interface TenantSettings {
  labeledEventSyncIntervalMinutes: number;
  weeklyReport: { dayOfWeek: string; time: string };
  eventRetentionDays: number;
}

export const DEFAULT_SETTINGS: TenantSettings = {
  labeledEventSyncIntervalMinutes: 30,
  weeklyReport: { dayOfWeek: 'sunday', time: '00:00' },
  eventRetentionDays: 90,
};

export const DEFAULT_CHECK_IN_SECONDS = 300;

export async function createTenant(name: string, now: Date) {
  const id = newId('tnt', now);
  const tenant: TenantItem = {
    id,
    name,
    createdAt: now.toISOString(),
    enrollmentGeneration: 1,
    configVersion: 1,
    checkInIntervalSeconds: DEFAULT_CHECK_IN_SECONDS,
    settings: DEFAULT_SETTINGS,
  };
  await putNew({ ...keys.tenant(id), ...keys.tenantIndex(id), ...tenant });
  await ensureUnassignedGroup(id, now);
  const admin = await createApiKey(id, { name: 'admin (created with the tenant)', role: 'admin' }, now);
  return { tenant: { id, name }, adminKey: admin.key, enrollmentKey: enrollmentKeyOf(tenant) };
}

export function getTenant(tenantId: string): Promise<TenantItem | undefined> {
  return getItem<TenantItem>(keys.tenant(tenantId));
}

/** `dwe_<tenant>.<generation>.<secret>`: derived from the master secret, so nothing secret is stored. */
export function enrollmentKeyOf(tenant: Pick<TenantItem, 'id' | 'enrollmentGeneration'>): string {
  const secret = deriveEnrollmentSecret(config().DRIFTWATCH_MASTER_SECRET, tenant.id, tenant.enrollmentGeneration);
  return `dwe_${tenant.id}.${tenant.enrollmentGeneration}.${secret}`;
}

/** True when `presented` is the tenant's current enrollment key. */
export function isCurrentEnrollmentKey(tenant: TenantItem, generation: number, secret: string): boolean {
  if (generation !== tenant.enrollmentGeneration) return false;
  const expected = deriveEnrollmentSecret(config().DRIFTWATCH_MASTER_SECRET, tenant.id, generation);
  return safeEqual(expected, secret);
}

export async function rotateEnrollmentKey(tenantId: string): Promise<string> {
  const { doc, table } = getDb();
  const out = await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.tenant(tenantId),
      UpdateExpression: 'ADD enrollmentGeneration :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return enrollmentKeyOf(out.Attributes as TenantItem);
}

/** Marks the tenant's agent configuration as changed (one small update). */
export async function bumpConfigVersion(tenantId: string): Promise<void> {
  const { doc, table } = getDb();
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.tenant(tenantId),
      UpdateExpression: 'ADD configVersion :one',
      ExpressionAttributeValues: { ':one': 1 },
    }),
  );
}

/** One page of tenant ids (the schedule handler walks them all). */
export async function listTenantIds(cursor?: string): Promise<Page<string>> {
  const all = keys.allTenants();
  const page = await queryPage<{ id: string }>({ pk: all.gsi1pk, skPrefix: all.skPrefix, index: 'gsi1' }, { limit: 500, cursor });
  return { items: page.items.map((t) => t.id), nextCursor: page.nextCursor };
}

export async function updateTenantSettings(tenantId: string, settings: TenantSettings, checkInIntervalSeconds: number): Promise<TenantItem> {
  const { doc, table } = getDb();
  const out = await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.tenant(tenantId),
      UpdateExpression: 'SET settings = :s, checkInIntervalSeconds = :i',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':s': settings, ':i': checkInIntervalSeconds },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return out.Attributes as TenantItem;
}
