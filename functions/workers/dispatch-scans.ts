import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import { deterministicId } from '../shared/ids.ts';
import { keys } from '../store/keys.ts';
import { listServers } from '../store/servers.ts';
import { requestScan } from '../store/scan-requests.ts';

export interface DispatchMessage {
  tenantId: string;
  groupId: string;
  /** ISO time of the schedule slot being dispatched. */
  slot: string;
  kind?: 'scheduled' | 'on-demand';
}

/**
 * Creates the `scheduled` scan of every active server of a group for one slot. Scan ids derive from
 * (group, slot, server), so a redelivered message creates nothing new; the group's lastScheduledSlot
 * is moved last, so a crash midway is finished by the retry.
 */
export async function dispatchScans({ tenantId, groupId, slot }: DispatchMessage): Promise<number> {
  const at = new Date(slot);
  let created = 0;
  let cursor: string | undefined;
  do {
    const page = await listServers(tenantId, { limit: 500, cursor }, groupId);
    for (const server of page.items.filter((s) => s.state === 'active')) {
      const id = deterministicId('scn', at, `${groupId}\n${slot}\n${server.id}`);
      if (await requestScan(tenantId, server.id, 'scheduled', at, id)) created++;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const { doc, table } = getDb();
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.group(tenantId, groupId),
      UpdateExpression: 'SET lastScheduledSlot = :slot',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastScheduledSlot) OR lastScheduledSlot < :slot)',
      ExpressionAttributeValues: { ':slot': slot },
    }),
  ).catch((error) => {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
  });
  return created;
}
