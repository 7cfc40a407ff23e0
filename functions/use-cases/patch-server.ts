import { NotFoundError, ValidationError } from '../shared/problem.ts';
import type { FimState } from '../model/enums.ts';
import { keys } from '../store/keys.ts';
import { getGroup } from '../store/groups.ts';
import { servers, type ServerItem } from '../store/servers.ts';
import { bumpConfigVersion } from '../store/tenants.ts';

/** Moves a server to another group and/or overrides its FIM state; its agent refetches config. */
export async function patchServer(tenantId: string, serverId: string, patch: { groupId?: string | undefined; fimState?: FimState | undefined }): Promise<ServerItem> {
  const current = await servers.get(tenantId, serverId);
  if (!current) throw new NotFoundError('server');
  if (patch.groupId && !(await getGroup(tenantId, patch.groupId))) {
    throw new ValidationError('Unknown group.', [{ path: 'groupId', message: `no server group ${patch.groupId}` }]);
  }
  const set: Record<string, unknown> = {};
  // The group index key moves with the group.
  if (patch.groupId) Object.assign(set, { groupId: patch.groupId, ...keys.serverIndexes(tenantId, { id: serverId, groupId: patch.groupId }) });
  if (patch.fimState) set.fimState = patch.fimState;
  if (Object.keys(set).length === 0) return current;
  const updated = await servers.update(tenantId, serverId, { set });
  if (!updated) throw new NotFoundError('server');
  await bumpConfigVersion(tenantId);
  return updated;
}
