import { NotFoundError } from '../shared/problem.ts';
import { getTenant } from '../store/tenants.ts';
import { createApiKey } from './create-api-key.ts';
import type { Caller } from './record-audit.ts';

/**
 * The operator's way back in for a tenant that lost its admin keys: a new admin key, answered once,
 * recorded in that tenant's audit trail (`admin-key.issued`, actor operator) for its admins to see.
 */
export async function issueAdminKey(tenantId: string, name: string | undefined, caller: Caller, now: Date) {
  if (!(await getTenant(tenantId))) throw new NotFoundError('tenant');
  return createApiKey(tenantId, { name: name ?? `admin (issued by the operator ${now.toISOString().slice(0, 10)})`, role: 'admin' }, caller, now, 'admin-key.issued');
}
