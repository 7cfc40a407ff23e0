import { isDeepStrictEqual } from 'node:util';
import { NotFoundError } from '../shared/problem.ts';
import { getGroup, groups, groupScheduleChanges, groupScheduleFrom, type GroupItem } from '../store/groups.ts';
import { bumpConfigVersion } from '../store/tenants.ts';
import type { GroupInput } from './create-group.ts';
import { checkGroupReferences } from './group-references.ts';

/** A PATCH: unset fields stay; null clears description or tag. */
export type GroupPatch = { [K in keyof GroupInput]?: GroupInput[K] | null };

/**
 * Changes the fields a PATCH names, with one UpdateItem of those fields only: the tick moves the group's
 * schedule bookkeeping concurrently, and a whole-item put would undo its move. A new schedule starts at
 * its first slot after now.
 */
export async function patchGroup(tenantId: string, groupId: string, patch: GroupPatch, now: Date): Promise<GroupItem> {
  const current = await getGroup(tenantId, groupId);
  if (!current) throw new NotFoundError('server group');
  const next: GroupItem = { ...current, updatedAt: now.toISOString() };
  const set: Record<string, unknown> = { updatedAt: next.updatedAt };
  const remove: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      delete (next as unknown as Record<string, unknown>)[field];
      remove.push(field);
    } else {
      (next as unknown as Record<string, unknown>)[field] = value;
      set[field] = value;
    }
  }
  await checkGroupReferences(tenantId, next);
  // A group stored before schedules were indexed gets its bookkeeping on its next change.
  const unindexed = !current.nextDueAt && next.scanSchedule.frequency !== 'off';
  if ((patch.scanSchedule && !isDeepStrictEqual(patch.scanSchedule, current.scanSchedule)) || unindexed) {
    const schedule = groupScheduleChanges(tenantId, groupId, groupScheduleFrom(next, now));
    Object.assign(set, schedule.set);
    remove.push(...schedule.remove);
  }
  const updated = await groups.update(tenantId, groupId, { set, remove });
  if (!updated) throw new NotFoundError('server group');
  await bumpConfigVersion(tenantId);
  return updated;
}
