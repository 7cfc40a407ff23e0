import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import type { Group } from '../api/schemas/group.schemas.ts';
import { keys } from './keys.ts';
import { getItem, conditionally, putNew, queryAll, withoutKeys } from './db.ts';

/** The built-in group every agent without a matching `--tag` joins; it has a fixed id in each tenant. */
export const UNASSIGNED_GROUP_ID = 'grp_unassigned';

export interface GroupItem extends Group {
  /** Last schedule slot (ISO) for which scheduled scans were created: the schedule's idempotency mark. */
  lastScheduledSlot?: string;
}

export async function ensureUnassignedGroup(tenantId: string, now: Date): Promise<void> {
  const group: GroupItem = {
    id: UNASSIGNED_GROUP_ID,
    name: 'Unassigned',
    description: 'Servers whose agent was enrolled without a tag that matches a group.',
    policyIds: [],
    alertProfileIds: [],
    scanSchedule: { frequency: 'off' },
    scanOnAgentStart: false,
    builtIn: true,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await putNew({ ...keys.group(tenantId, group.id), ...group });
}

export async function getGroup(tenantId: string, groupId: string): Promise<GroupItem | undefined> {
  const item = await getItem<GroupItem & Record<string, unknown>>(keys.group(tenantId, groupId));
  return item ? (withoutKeys(item) as GroupItem) : undefined;
}

export async function listGroups(tenantId: string): Promise<GroupItem[]> {
  const prefix = keys.groupPrefix(tenantId);
  const items = await queryAll<GroupItem & Record<string, unknown>>({ pk: prefix.pk, skPrefix: prefix.skPrefix });
  return items.map((i) => withoutKeys(i) as GroupItem);
}

export async function putGroup(tenantId: string, group: GroupItem): Promise<void> {
  const { doc, table } = getDb();
  await doc.send(new PutCommand({ TableName: table, Item: { ...keys.group(tenantId, group.id), ...group } }));
}

export async function deleteGroup(tenantId: string, groupId: string): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(new DeleteCommand({ TableName: table, Key: keys.group(tenantId, groupId), ConditionExpression: 'attribute_exists(pk)' })),
  );
}
