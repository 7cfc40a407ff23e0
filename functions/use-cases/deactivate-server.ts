import { NotFoundError } from '../shared/problem.ts';
import { getServerWithInbox, removeFromInbox, servers } from '../store/servers.ts';

/** Deactivates a server: its agent credential is refused from now on and its inbox is emptied; its history stays. */
export async function deactivateServer(tenantId: string, serverId: string): Promise<void> {
  if (!(await servers.update(tenantId, serverId, { set: { state: 'deactivated' } }))) throw new NotFoundError('server');
  const found = await getServerWithInbox(tenantId, serverId);
  await removeFromInbox(tenantId, serverId, found?.inbox.map((e) => e.scanId) ?? []);
}
