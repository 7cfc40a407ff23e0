import { newId, newSecret } from '../shared/ids.ts';
import { hashSecret } from '../shared/secrets.ts';
import type { Role } from '../model/enums.ts';
import { apiKeys, toApiKey, type ApiKeyItem } from '../store/api-keys.ts';
import { registerAdminKey } from '../store/admin-key-register.ts';
import { recordAudit, type Caller } from './record-audit.ts';

/**
 * `dwk_<tenant>.<keyId>.<secret>`: the ids route the lookup to one GetItem, the secret proves it. An
 * admin key is registered on the tenant after it is stored (admin-key-register.ts). Recorded in the
 * audit trail (`api-key.created`; `admin-key.issued` when the operator issues one to a locked-out tenant).
 */
export async function createApiKey(
  tenantId: string,
  input: { name: string; role: Role },
  caller: Caller,
  now: Date,
  action: 'api-key.created' | 'admin-key.issued' = 'api-key.created',
) {
  const id = newId('key', now);
  const secret = newSecret(32);
  const item: ApiKeyItem = { id, name: input.name, role: input.role, createdAt: now.toISOString(), secretHash: hashSecret(secret) };
  await recordAudit(tenantId, { action, actor: caller.actor, ...caller.origin, target: { type: 'api-key', id }, details: { name: input.name, role: input.role } }, now);
  await apiKeys.create(tenantId, item);
  if (input.role === 'admin') await registerAdminKey(tenantId, id);
  return { ...toApiKey(item), key: `dwk_${tenantId}.${id}.${secret}` };
}
