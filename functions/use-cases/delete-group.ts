import { ConflictError, NotFoundError } from '../shared/problem.ts';
import { getGroup, groups } from '../store/groups.ts';
import { listServers } from '../store/servers.ts';
import { bumpConfigVersion } from '../store/tenants.ts';

/** Deletes a group with no servers; the built-in Unassigned group stays. */
export async function deleteGroup(tenantId: string, groupId: string): Promise<void> {
  const group = await getGroup(tenantId, groupId);
  if (!group) throw new NotFoundError('server group');
  if (group.builtIn) throw new ConflictError('The built-in Unassigned group cannot be deleted.');
  const servers = await listServers(tenantId, { limit: 1 }, group.id);
  if (servers.items.length) throw new ConflictError('The group still has servers; move them to another group first.');
  if (!(await groups.remove(tenantId, group.id))) throw new NotFoundError('server group');
  await bumpConfigVersion(tenantId);
}
