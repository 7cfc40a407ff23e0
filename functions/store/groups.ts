import type { Group } from '../model/server-group.ts';
import { scheduledFrom, type DueState } from '../domain/due-work.ts';
import { keys, type WakeEntry } from './keys.ts';
import { defineEntity } from './entity.ts';
import { dueAttributes, dueChanges, finishDueSlot } from './due-state.ts';
import type { Changes } from './db.ts';

/** The built-in group every agent without a matching `--tag` joins; it has a fixed id in each tenant. */
export const UNASSIGNED_GROUP_ID = 'grp_unassigned';

/** A group as stored: the served group plus the due state of its scheduled scans (domain/due-work.ts). */
export interface GroupItem extends Group, DueState {}

/** A group's entry in the wake index. */
export const groupScansEntry = (tenantId: string, groupId: string): WakeEntry => ({ kind: 'scans', tenantId, id: groupId });

export const groups = defineEntity<GroupItem>({
  name: 'server group',
  key: (tenantId, groupId) => keys.group(tenantId, groupId),
  idOf: (group) => group.id,
  // In the wake index while it has a schedule (or an owed slot): written with the item, so always in step.
  indexes: (tenantId, group) => dueAttributes(groupScansEntry(tenantId, group.id), group) as Record<string, string>,
});

export const getGroup = (tenantId: string, groupId: string) => groups.get(tenantId, groupId);
export const listGroups = (tenantId: string) => groups.all(keys.groups(tenantId));

/** The served group: the schedule's bookkeeping stays internal. */
export function toGroup(item: GroupItem): Group {
  const { nextDueAt: _next, owedSlot: _owed, owedRetryAt: _retry, ...group } = item;
  return group;
}

/** The due state of a group whose schedule is (re)set at `now`: its first slot after now, nothing owed. */
export const groupScheduleFrom = (group: Pick<Group, 'scanSchedule'>, now: Date): DueState => scheduledFrom(group.scanSchedule, now);

/**
 * The attributes an update of a group writes when its schedule changes: the new due state and its wake
 * index entry (a slot owed under the old schedule is forgotten: its message, if delivered, still runs).
 */
export function groupScheduleChanges(tenantId: string, groupId: string, state: DueState): Required<Pick<Changes, 'set' | 'remove'>> {
  return dueChanges(groupScansEntry(tenantId, groupId), state);
}

/** The scans of `slot` are created: the group owes it no more (unless a newer slot was claimed since). */
export const finishGroupSlot = (tenantId: string, groupId: string, slot: string) => finishDueSlot(keys.group(tenantId, groupId), groupScansEntry(tenantId, groupId), slot);


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
