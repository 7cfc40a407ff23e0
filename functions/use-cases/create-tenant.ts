import { newId } from '../shared/ids.ts';
import { DEFAULT_CHECK_IN_SECONDS, DEFAULT_SETTINGS } from '../model/settings.ts';
import { enrollmentKeyOf, tenants, type TenantItem } from '../store/tenants.ts';
import { groups, unassignedGroup } from '../store/groups.ts';
import { createApiKey } from './create-api-key.ts';

/** A new tenant with its Unassigned group and first admin key; answers the keys, shown once. */
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
  await tenants.create(id, tenant);
  await groups.create(id, unassignedGroup(now));
  const admin = await createApiKey(id, { name: 'admin (created with the tenant)', role: 'admin' }, now);
  return { tenant: { id, name }, adminKey: admin.key, enrollmentKey: enrollmentKeyOf(tenant) };
}
