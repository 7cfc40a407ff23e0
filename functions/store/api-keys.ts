import type { Role } from '../model/enums.ts';
import type { ApiKey } from '../model/api-key.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';

export interface ApiKeyItem extends ApiKey {
  /** sha256 of the secret part; the key itself is shown once and never stored. */
  secretHash: string;
}

export const apiKeys = defineEntity<ApiKeyItem>({
  name: 'API key',
  key: (tenantId, keyId) => keys.apiKey(tenantId, keyId),
  idOf: (key) => key.id,
});

export const getApiKey = (tenantId: string, keyId: string) => apiKeys.get(tenantId, keyId);

export async function listApiKeys(tenantId: string): Promise<ApiKey[]> {
  return (await apiKeys.all(keys.apiKeys(tenantId))).map(toApiKey);
}

export function toApiKey(item: ApiKeyItem): ApiKey {
  return { id: item.id, name: item.name, role: item.role as Role, createdAt: item.createdAt };
}
