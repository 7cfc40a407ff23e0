import type { Role } from '../model/enums.ts';
import type { ApiKey } from '../model/api-key.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';
import type { Page, PageRequest } from './db.ts';

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

/** One page of the tenant's keys, oldest first, without secrets. */
export async function listApiKeys(tenantId: string, page: PageRequest): Promise<Page<ApiKey>> {
  const out = await apiKeys.page(keys.apiKeys(tenantId), page);
  return { items: out.items.map(toApiKey), nextCursor: out.nextCursor };
}

export function toApiKey(item: ApiKeyItem): ApiKey {
  return { id: item.id, name: item.name, role: item.role as Role, createdAt: item.createdAt };
}
