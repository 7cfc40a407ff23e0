import { newId, newSecret } from '../shared/ids.ts';
import { hashSecret } from '../shared/secrets.ts';
import type { Role } from '../model/enums.ts';
import { apiKeys, toApiKey, type ApiKeyItem } from '../store/api-keys.ts';

/** `dwk_<tenant>.<keyId>.<secret>`: the ids route the lookup to one GetItem, the secret proves it. */
export async function createApiKey(tenantId: string, input: { name: string; role: Role }, now: Date) {
  const id = newId('key', now);
  const secret = newSecret(32);
  const item: ApiKeyItem = { id, name: input.name, role: input.role, createdAt: now.toISOString(), secretHash: hashSecret(secret) };
  await apiKeys.create(tenantId, item);
  return { ...toApiKey(item), key: `dwk_${tenantId}.${id}.${secret}` };
}
