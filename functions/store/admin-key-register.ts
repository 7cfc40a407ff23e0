import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import { conditionally, getItem, updateItem } from './db.ts';
import { apiKeys } from './api-keys.ts';
import { keys } from './keys.ts';

/**
 * The ids of a tenant's admin keys, kept as a map on the tenant item (`adminKeyIds`). It exists so that
 * "never revoke the last admin key" is one conditional write on one item: two admins revoking each other
 * at the same moment cannot both pass (no transactions needed). Order of writes, so a crash errs on the
 * safe side: a new admin key is stored before it is registered, and a revoked one unregistered before it
 * is deleted, so the register never lists a key that is not there; at worst it misses one, which only
 * makes a later revocation refuse (409) where it could have gone ahead.
 */
const REGISTER = 'adminKeyIds';

/** A tenant created before the register gets one, from its admin keys as stored now. */
async function ensureRegister(tenantId: string): Promise<void> {
  const tenant = await getItem(keys.tenant(tenantId), true);
  if (!tenant || tenant[REGISTER] !== undefined) return;
  const stored = await apiKeys.all({ ...keys.apiKeys(tenantId), consistent: true });
  const admins = Object.fromEntries(stored.filter((k) => k.role === 'admin').map((k) => [k.id, true]));
  // If another request registered first, its register stands (it was built the same way).
  await updateItem(keys.tenant(tenantId), { set: { [REGISTER]: admins } }, { expression: 'attribute_exists(pk) AND attribute_not_exists(#register)', names: { '#register': REGISTER } });
}

/** Records a stored admin key in the register (idempotent). */
export async function registerAdminKey(tenantId: string, keyId: string): Promise<void> {
  await ensureRegister(tenantId);
  const { doc, table } = getDb();
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.tenant(tenantId),
      UpdateExpression: 'SET #register.#key = :true',
      ConditionExpression: 'attribute_exists(#register)',
      ExpressionAttributeNames: { '#register': REGISTER, '#key': keyId },
      ExpressionAttributeValues: { ':true': true },
    }),
  );
}

/**
 * Takes an admin key out of the register unless it is the tenant's last one: false when it is (the key
 * must then stay). A key the register does not list (its registration never happened) just goes.
 */
export async function unregisterAdminKey(tenantId: string, keyId: string): Promise<boolean> {
  await ensureRegister(tenantId);
  const { doc, table } = getDb();
  return conditionally(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.tenant(tenantId),
        UpdateExpression: 'REMOVE #register.#key',
        ConditionExpression: 'attribute_exists(#register) AND (attribute_not_exists(#register.#key) OR size(#register) > :one)',
        ExpressionAttributeNames: { '#register': REGISTER, '#key': keyId },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    ),
  );
}
