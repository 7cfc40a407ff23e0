import { ConflictError, NotFoundError } from '../shared/problem.ts';
import { listGroups } from '../store/groups.ts';
import { getPolicy, policies } from '../store/policies.ts';
import { bumpConfigVersion } from '../store/tenants.ts';

/** Deletes a policy no server group uses (409 names the groups that do). */
export async function deletePolicy(tenantId: string, policyId: string): Promise<void> {
  if (!(await getPolicy(tenantId, policyId))) throw new NotFoundError('policy');
  const users = (await listGroups(tenantId)).filter((g) => g.policyIds.includes(policyId));
  if (users.length) throw new ConflictError(`The policy is used by server group(s) ${users.map((g) => g.id).join(', ')}; remove it there first.`);
  if (!(await policies.remove(tenantId, policyId))) throw new NotFoundError('policy');
  await bumpConfigVersion(tenantId);
}
