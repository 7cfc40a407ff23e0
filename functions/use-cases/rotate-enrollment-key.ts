import { enrollmentKeyExpiresAt } from '../domain/enrollment-key-expiry.ts';
import { enrollmentKeyOf, rotateEnrollmentKey as rotate, type TenantItem } from '../store/tenants.ts';
import { recordAudit, type Caller } from './record-audit.ts';

/** The tenant's enrollment key as an admin sees it: the key and when it stops working (null: until rotated). */
export const enrollmentKeyView = (tenant: TenantItem) => ({ key: enrollmentKeyOf(tenant), expiresAt: enrollmentKeyExpiresAt(tenant) });

/** A new enrollment key (the old one stops at once), recorded in the audit trail with its generation. */
export async function rotateEnrollmentKey(tenantId: string, caller: Caller, now: Date) {
  const tenant = await rotate(tenantId, now);
  const generation = tenant.enrollmentGeneration;
  // Recorded after the rotation: the generation it made is what the entry is about.
  await recordAudit(tenantId, { action: 'enrollment-key.rotated', actor: caller.actor, ...caller.origin, target: { type: 'enrollment-key', id: `generation-${generation}` }, details: { generation } }, now);
  return enrollmentKeyView(tenant);
}
