import { ConflictError, NotFoundError } from '../shared/problem.ts';
import { apiKeys } from '../store/api-keys.ts';
import { unregisterAdminKey } from '../store/admin-key-register.ts';
import { recordAudit, type Caller } from './record-audit.ts';

/**
 * Revokes a tenant API key: it is refused from the next request on. The tenant's last admin key stays
 * (409): without it nobody could manage the tenant's keys again. Recorded in the audit trail.
 */
export async function revokeApiKey(tenantId: string, keyId: string, caller: Caller, now: Date): Promise<void> {
  const key = await apiKeys.get(tenantId, keyId, { consistent: true });
  if (!key) throw new NotFoundError('API key');
  if (key.role === 'admin' && !(await unregisterAdminKey(tenantId, keyId))) {
    throw new ConflictError(
      'This is the tenant\'s last admin key: revoking it would leave nobody able to manage the tenant. Create another admin key first (POST /v1/api-keys with role "admin"), then revoke this one. A tenant that has lost every admin key gets a new one from the operator (POST /v1/tenants/{id}/admin-keys).',
    );
  }
  await recordAudit(tenantId, { action: 'api-key.revoked', actor: caller.actor, ...caller.origin, target: { type: 'api-key', id: keyId }, details: { name: key.name, role: key.role } }, now);
  if (!(await apiKeys.remove(tenantId, keyId))) throw new NotFoundError('API key');
}
