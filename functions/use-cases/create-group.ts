import { newId } from '../shared/ids.ts';
import type { Group } from '../model/server-group.ts';
import { groupScheduleFrom, groups, type GroupItem } from '../store/groups.ts';
import { bumpConfigVersion } from '../store/tenants.ts';
import { checkGroupReferences } from './group-references.ts';

/** What a user gives to create a group (the API's request, defaults applied). */
export type GroupInput = Omit<Group, 'id' | 'builtIn' | 'createdAt' | 'updatedAt'>;

/** A new group; its scheduled scans start at the schedule's first slot after now. */
export async function createGroup(tenantId: string, input: GroupInput, now: Date): Promise<GroupItem> {
  const group: GroupItem = { id: newId('grp', now), ...input, builtIn: false, createdAt: now.toISOString(), updatedAt: now.toISOString() };
  Object.assign(group, groupScheduleFrom(group, now));
  await checkGroupReferences(tenantId, group);
  await groups.create(tenantId, group);
  await bumpConfigVersion(tenantId);
  return group;
}
