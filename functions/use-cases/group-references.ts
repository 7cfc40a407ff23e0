import { ConflictError, ValidationError } from '../shared/problem.ts';
import type { Group } from '../model/server-group.ts';
import { listGroups } from '../store/groups.ts';
import { getPolicies } from '../store/policies.ts';

/** Policies must exist in this tenant and tags must be unique, or enrollment would be ambiguous. */
export async function checkGroupReferences(tenantId: string, group: Pick<Group, 'id' | 'tag' | 'policyIds'>): Promise<void> {
  const found = await getPolicies(tenantId, group.policyIds);
  const missing = group.policyIds.filter((id) => !found.some((p) => p.id === id));
  if (missing.length) {
    throw new ValidationError('Unknown policy ids.', missing.map((id) => ({ path: `policyIds.${group.policyIds.indexOf(id)}`, message: `no policy ${id}` })));
  }
  if (group.tag) {
    const clash = (await listGroups(tenantId)).find((g) => g.tag === group.tag && g.id !== group.id);
    if (clash) throw new ConflictError(`The tag "${group.tag}" already belongs to group ${clash.id}.`);
  }
}
