import { newId } from '../shared/ids.ts';
import { DEFAULT_CHECK_IN_SECONDS, DEFAULT_SETTINGS } from '../model/settings.ts';
import { enrollmentKeyOf, reportsScheduledFrom, tenants, type TenantItem } from '../store/tenants.ts';
import { groups, unassignedGroup } from '../store/groups.ts';
import { createApiKey } from './create-api-key.ts';
import type { Caller } from './record-audit.ts';

/** A new tenant with its Unassigned group and first admin key (its weekly reports scheduled); answers the keys, shown once. The caller is the operator (its API route, or the local stack's first start). */
export async function createTenant(name: string, now: Date, caller: Caller = { actor: { type: 'operator' }, origin: {} }) {
  const id = newId('tnt', now);
  const tenant: TenantItem = {
    id,
    name,
    createdAt: now.toISOString(),
    enrollmentGeneration: 1,
    enrollmentKeyIssuedAt: now.toISOString(),
    configVersion: 1,
    checkInIntervalSeconds: DEFAULT_CHECK_IN_SECONDS,
    settings: DEFAULT_SETTINGS,
    adminKeyIds: {},
    ...reportsScheduledFrom(DEFAULT_SETTINGS, now),
  };
  await tenants.create(id, tenant);
  await groups.create(id, unassignedGroup(now));
  const admin = await createApiKey(id, { name: 'admin (created with the tenant)', role: 'admin' }, caller, now);
  return { tenant: { id, name }, adminKey: admin.key, enrollmentKey: enrollmentKeyOf(tenant) };
}
