import { newId, newSecret } from '../shared/ids.ts';
import { hashSecret } from '../shared/secrets.ts';
import type { EnrollRequest, EnrollResponse } from '../contract/agent.schemas.ts';
import { DEFAULT_SETTINGS } from '../model/settings.ts';
import { listGroups, UNASSIGNED_GROUP_ID } from '../store/groups.ts';
import { servers } from '../store/servers.ts';
import type { TenantItem } from '../store/tenants.ts';
import { enforceMinuteLimit } from './enforce-rate-limit.ts';
import { recordAudit, type Caller } from './record-audit.ts';

/**
 * Registers a server; it joins the group whose tag is the agent's tag, else Unassigned. Answers its
 * credential, once, and which group it joined with how many policies that group has, so the agent can
 * say at once when a tag matched no group or nothing will be scanned. Each enrollment counts against the
 * tenant's enrollments per minute (429 above) and is recorded in the audit trail before the server is
 * created: who (the enrollment key's generation), from where (source address, user agent) and what
 * (hostname, platform, version, tag).
 */
export async function enrollAgent(tenant: TenantItem, input: EnrollRequest, caller: Caller, now: Date): Promise<EnrollResponse> {
  const tenantId = tenant.id;
  const details = { hostname: input.hostname, platform: input.platform, agentVersion: input.agentVersion, ...(input.tag ? { tag: input.tag } : {}) };
  const perMinute = tenant.settings.enrollmentRateLimitPerMinute ?? DEFAULT_SETTINGS.enrollmentRateLimitPerMinute;
  await enforceMinuteLimit(
    tenantId,
    { name: 'enroll', perMinute, what: 'enrollments', setting: 'enrollmentRateLimitPerMinute' },
    { action: 'enrollment.rate-limited', actor: caller.actor, ...caller.origin, details },
    now,
  );
  const all = await listGroups(tenantId);
  const group = input.tag ? all.find((g) => g.tag === input.tag) : undefined;
  const joined = group ?? all.find((g) => g.id === UNASSIGNED_GROUP_ID);
  const serverId = newId('srv', now);
  const secret = newSecret(32);
  await recordAudit(tenantId, { action: 'server.enrolled', actor: caller.actor, ...caller.origin, target: { type: 'server', id: serverId }, details }, now);
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
  return {
    serverId,
    tenantId,
    credential: `dwa_${tenantId}.${serverId}.${secret}`,
    group: { id: joined?.id ?? UNASSIGNED_GROUP_ID, name: joined?.name ?? 'Unassigned', policyCount: joined?.policyIds.length ?? 0 },
    tagMatched: group !== undefined,
  };
}
