import { newId, newSecret } from '../shared/ids.ts';
import { hashSecret } from '../shared/secrets.ts';
import type { EnrollRequest, EnrollResponse } from '../contract/agent.schemas.ts';
import { listGroups, UNASSIGNED_GROUP_ID } from '../store/groups.ts';
import { servers } from '../store/servers.ts';

/** Registers a server; it joins the group whose tag is the agent's tag, else Unassigned. Answers its credential, once. */
export async function enrollAgent(tenantId: string, input: EnrollRequest, now: Date): Promise<EnrollResponse> {
  const group = input.tag ? (await listGroups(tenantId)).find((g) => g.tag === input.tag) : undefined;
  const serverId = newId('srv', now);
  const secret = newSecret(32);
  await servers.create(tenantId, {
    id: serverId,
    hostname: input.hostname,
    platform: input.platform,
    agentVersion: input.agentVersion,
    groupId: group?.id ?? UNASSIGNED_GROUP_ID,
    tags: input.tag ? [input.tag] : [],
    state: 'active',
    lastSeenAt: now.toISOString(),
    enrolledAt: now.toISOString(),
    fimState: 'inherit',
    secretHash: hashSecret(secret),
  });
  return { serverId, tenantId, credential: `dwa_${tenantId}.${serverId}.${secret}` };
}
