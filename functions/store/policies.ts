import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import type { Policy } from '../contract/policy.schemas.ts';
import { keys } from './keys.ts';
import { batchGet } from './batch.ts';
import { getItem, conditionally, queryPage, withoutKeys, type Page, type PageRequest } from './db.ts';

export async function getPolicy(tenantId: string, policyId: string): Promise<Policy | undefined> {
  const item = await getItem<Policy & Record<string, unknown>>(keys.policy(tenantId, policyId));
  return item ? (withoutKeys(item) as Policy) : undefined;
}

export async function listPolicies(tenantId: string, page: PageRequest): Promise<Page<Policy>> {
  const prefix = keys.policyPrefix(tenantId);
  const out = await queryPage<Policy & Record<string, unknown>>({ pk: prefix.pk, skPrefix: prefix.skPrefix }, page);
  return { items: out.items.map((i) => withoutKeys(i) as Policy), nextCursor: out.nextCursor };
}

/** Several policies by id in one BatchGet (a group has a handful); missing ids are simply absent. */
export async function getPolicies(tenantId: string, policyIds: readonly string[]): Promise<Policy[]> {
  if (policyIds.length === 0) return [];
  const found = (await batchGet(policyIds.map((id) => keys.policy(tenantId, id)))).map((p) => withoutKeys<Policy>(p));
  const order = new Map(policyIds.map((id, index) => [id, index]));
  return found.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}

export async function putPolicy(tenantId: string, policy: Policy): Promise<void> {
  const { doc, table } = getDb();
  await doc.send(new PutCommand({ TableName: table, Item: { ...keys.policy(tenantId, policy.id), ...policy } }));
}

export async function deletePolicy(tenantId: string, policyId: string): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(new DeleteCommand({ TableName: table, Key: keys.policy(tenantId, policyId), ConditionExpression: 'attribute_exists(pk)' })),
  );
}
