import { NotFoundError } from '../shared/problem.ts';
import { enqueue } from '../queues/enqueue.ts';
import { scanDispatchQueue } from '../queues/queues.ts';
import type { Scan } from '../model/scan.ts';
import { getGroup } from '../store/groups.ts';
import { listServers } from '../store/servers.ts';
import { groupScanId } from './dispatch-scans.ts';

/**
 * An on-demand scan of every active server of a group. The scans are created by the dispatch worker
 * (batched writes, off the request path, like scheduled ones): the request only reads the group's
 * servers and answers the scans with the ids the worker will give them, as pending.
 */
export async function requestGroupScans(tenantId: string, groupId: string, now: Date): Promise<Scan[]> {
  if (!(await getGroup(tenantId, groupId))) throw new NotFoundError('server group');
  const message = { tenantId, groupId, slot: now.toISOString(), kind: 'on-demand' as const };
  const scans: Scan[] = [];
  let cursor: string | undefined;
  do {
    const page = await listServers(tenantId, { limit: 500, cursor }, groupId);
    for (const server of page.items) {
      if (server.state !== 'active') continue;
      scans.push({ id: groupScanId(message, server.id), serverId: server.id, kind: 'on-demand', status: 'pending', requestedAt: message.slot });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (scans.length) await enqueue(scanDispatchQueue, message);
  return scans;
}
