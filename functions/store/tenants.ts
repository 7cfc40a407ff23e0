import { secret } from '../shared/config.ts';
import { deriveEnrollmentSecret, safeEqual } from '../shared/secrets.ts';
import type { TenantSettings } from '../model/settings.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';
import { queryPage, type Page } from './db.ts';

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

export const tenants = defineEntity<TenantItem>({
  name: 'tenant',
  key: (tenantId) => keys.tenant(tenantId),
  idOf: (tenant) => tenant.id,
  indexes: (tenantId) => keys.tenantIndex(tenantId),
});

export const getTenant = (tenantId: string) => tenants.get(tenantId, tenantId);

/**
 * How long a function instance reuses a tenant item it read for an agent's check-in. Thousands of agents
 * of one tenant read the same item every few minutes; reusing it for a few seconds makes the steady
 * check-in one DynamoDB request (the server's partition) instead of two. A config change reaches agents
 * at most this much later; writes made by this instance are seen at once (forgetTenant).
 */
export const TENANT_CACHE_MS = 10_000;
const cache = new Map<string, { tenant: TenantItem; until: number }>();

/** The tenant as an agent's check-in needs it (config version, interval): possibly a few seconds old. */
export async function getTenantForAgent(tenantId: string, now = Date.now()): Promise<TenantItem | undefined> {
  const hit = cache.get(tenantId);
  if (hit && hit.until > now) return hit.tenant;
  const tenant = await getTenant(tenantId);
  if (tenant) {
    if (cache.size >= 1000) cache.clear();
    cache.set(tenantId, { tenant, until: now + TENANT_CACHE_MS });
  } else cache.delete(tenantId);
  return tenant;
}

/** Drops the cached tenant after a write to it. */
export function forgetTenant(tenantId: string): void {
  cache.delete(tenantId);
}

/** `dwe_<tenant>.<generation>.<secret>`: derived from the master secret, so nothing secret is stored. */
export function enrollmentKeyOf(tenant: Pick<TenantItem, 'id' | 'enrollmentGeneration'>): string {
  const derived = deriveEnrollmentSecret(secret('DRIFTWATCH_MASTER_SECRET'), tenant.id, tenant.enrollmentGeneration);
  return `dwe_${tenant.id}.${tenant.enrollmentGeneration}.${derived}`;
}

/** True when `presented` is the tenant's current enrollment key. */
export function isCurrentEnrollmentKey(tenant: TenantItem, generation: number, presented: string): boolean {
  if (generation !== tenant.enrollmentGeneration) return false;
  const expected = deriveEnrollmentSecret(secret('DRIFTWATCH_MASTER_SECRET'), tenant.id, generation);
  return safeEqual(expected, presented);
}

/** Bumps the enrollment key generation: the old key stops working at once. */
export async function rotateEnrollmentKey(tenantId: string): Promise<string> {
  const updated = await tenants.update(tenantId, tenantId, { add: { enrollmentGeneration: 1 } });
  if (!updated) throw new Error(`tenant ${tenantId} vanished`);
  return enrollmentKeyOf(updated);
}

/** Marks the tenant's agent configuration as changed (one small update). */
export async function bumpConfigVersion(tenantId: string): Promise<void> {
  await tenants.update(tenantId, tenantId, { add: { configVersion: 1 } });
  forgetTenant(tenantId);
}

/** One page of tenant ids (the schedule handler walks them all). */
export async function listTenantIds(cursor?: string): Promise<Page<string>> {
  const all = keys.allTenants();
  const page = await queryPage<{ id: string }>({ index: 'gsi1', pk: all.pk, skPrefix: all.skPrefix }, { limit: 500, cursor });
  return { items: page.items.map((t) => t.id), nextCursor: page.nextCursor };
}
