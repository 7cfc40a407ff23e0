import { NotFoundError } from '../shared/problem.ts';
import { apiKeys } from '../store/api-keys.ts';

/** Revokes a tenant API key: it is refused from the next request on. */
export async function revokeApiKey(tenantId: string, keyId: string): Promise<void> {
  if (!(await apiKeys.remove(tenantId, keyId))) throw new NotFoundError('API key');
}
