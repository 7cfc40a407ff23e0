import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { hashSecret } from '../shared/secrets.ts';
import { keys } from './keys.ts';
import { getItem, conditionally, putNew, queryAll, withoutKeys } from './db.ts';

export type Role = 'read-only' | 'user' | 'author' | 'admin';
export const ROLES: readonly Role[] = ['read-only', 'user', 'author', 'admin'];

export interface ApiKeyItem {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  /** sha256 of the secret part; the key itself is shown once and never stored. */
  secretHash: string;
}
export type ApiKey = Omit<ApiKeyItem, 'secretHash'>;

/** `dwk_<tenant>.<keyId>.<secret>`: the ids route the lookup to one GetItem, the secret proves it. */
export async function createApiKey(tenantId: string, input: { name: string; role: Role }, now: Date) {
  const id = newId('key', now);
  const secret = newSecret(32);
  const item: ApiKeyItem = { id, name: input.name, role: input.role, createdAt: now.toISOString(), secretHash: hashSecret(secret) };
  await putNew({ ...keys.apiKey(tenantId, id), ...item });
  return { ...toApiKey(item), key: `dwk_${tenantId}.${id}.${secret}` };
}

export function getApiKey(tenantId: string, keyId: string): Promise<ApiKeyItem | undefined> {
  return getItem<ApiKeyItem>(keys.apiKey(tenantId, keyId));
}

export async function listApiKeys(tenantId: string): Promise<ApiKey[]> {
  const prefix = keys.apiKeyPrefix(tenantId);
  const items = await queryAll<ApiKeyItem & Record<string, unknown>>({ pk: prefix.pk, skPrefix: prefix.skPrefix });
  return items.map((i) => toApiKey(withoutKeys(i) as ApiKeyItem));
}

export async function deleteApiKey(tenantId: string, keyId: string): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(new DeleteCommand({ TableName: table, Key: keys.apiKey(tenantId, keyId), ConditionExpression: 'attribute_exists(pk)' })),
  );
}

function toApiKey(item: ApiKeyItem): ApiKey {
  return { id: item.id, name: item.name, role: item.role, createdAt: item.createdAt };
}
