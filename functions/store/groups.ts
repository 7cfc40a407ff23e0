import type { Group } from '../model/server-group.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';

/** The built-in group every agent without a matching `--tag` joins; it has a fixed id in each tenant. */
export const UNASSIGNED_GROUP_ID = 'grp_unassigned';

export interface GroupItem extends Group {
  /** Last schedule slot (ISO) for which scheduled scans were created: the schedule's idempotency mark. */
  lastScheduledSlot?: string;
}

export const groups = defineEntity<GroupItem>({
  name: 'server group',
  key: (tenantId, groupId) => keys.group(tenantId, groupId),
  idOf: (group) => group.id,
});

export const getGroup = (tenantId: string, groupId: string) => groups.get(tenantId, groupId);
export const listGroups = (tenantId: string) => groups.all(keys.groups(tenantId));

/** The Unassigned group of a new tenant. */
export function unassignedGroup(now: Date): GroupItem {
  return {
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
}
