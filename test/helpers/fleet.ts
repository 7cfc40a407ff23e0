import { newId } from '../../functions/shared/ids.ts';
import { servers, type ServerItem } from '../../functions/store/servers.ts';

/**
 * Many servers in one group, written straight into the store (BatchWriteItem) as enrollment would store
 * them: for tests and benchmarks of what happens to a large fleet (a scheduled dispatch), where
 * enrolling thousands of agents one HTTP request at a time would measure the enrollment instead.
 * The servers have no usable credential. Answers their ids.
 */
export async function seedServers(tenantId: string, groupId: string, count: number, now = new Date()): Promise<string[]> {
  const items: ServerItem[] = Array.from({ length: count }, (_, i) => ({
    id: newId('srv', now),
    hostname: `fleet-${String(i).padStart(5, '0')}`,
    platform: 'linux',
    agentVersion: '1.0.0',
    groupId,
    tags: [],
    state: 'active',
    lastSeenAt: null,
    enrolledAt: now.toISOString(),
    fimState: 'inherit',
    secretHash: 'seeded: no credential',
  }));
  await servers.putMany(tenantId, items);
  return items.map((s) => s.id);
}
