import { NotFoundError } from '../shared/problem.ts';
import { getGroup, groups, type GroupItem } from '../store/groups.ts';
import { bumpConfigVersion } from '../store/tenants.ts';
import type { GroupInput } from './create-group.ts';
import { checkGroupReferences } from './group-references.ts';

/** A PATCH: unset fields stay; null clears description or tag. */
export type GroupPatch = { [K in keyof GroupInput]?: GroupInput[K] | null };

export async function patchGroup(tenantId: string, groupId: string, patch: GroupPatch, now: Date): Promise<GroupItem> {
  const current = await getGroup(tenantId, groupId);
  if (!current) throw new NotFoundError('server group');
  const next: GroupItem = { ...current, updatedAt: now.toISOString() };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete (next as unknown as Record<string, unknown>)[field];
    else (next as unknown as Record<string, unknown>)[field] = value;
  }
  await checkGroupReferences(tenantId, next);
  await groups.put(tenantId, next);
  await bumpConfigVersion(tenantId);
  return next;
}
