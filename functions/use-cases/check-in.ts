import type { CheckInRequest, CheckInResponse, PendingScan } from '../contract/agent.schemas.ts';
import { effectivePolicies } from '../domain/effective-policy.ts';
import { LAST_SEEN_COALESCE_MS } from '../domain/server-status.ts';
import { MAX_OPEN_SCANS } from '../domain/open-scans.ts';
import { getGroup } from '../store/groups.ts';
import { getPolicies } from '../store/policies.ts';
import { servers } from '../store/servers.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { requestScan } from './request-scan.ts';

/**
 * The agent's heartbeat. It dominates the bill (every agent, every few minutes), so its usual cost is
 * what authentication already read (server + inbox in one Query, the tenant): config is read only when
 * its version moved, and lastSeenAt is written only when it is older than the coalescing window.
 */
export async function checkIn(agent: AgentIdentity, input: CheckInRequest & { configVersion: string | null; starting: boolean }, now: Date): Promise<CheckInResponse> {
  const { tenantId, server, tenant } = agent;
  const configVersion = String(tenant.configVersion);
  const needsGroup = input.configVersion !== configVersion || input.starting;
  const group = needsGroup ? await getGroup(tenantId, server.groupId) : undefined;
  const config =
    input.configVersion !== configVersion
      ? {
          policies: effectivePolicies(await getPolicies(tenantId, group?.policyIds ?? []), server.fimState),
          group: { id: server.groupId, name: group?.name ?? server.groupId },
        }
      : null;

  const pendingScans: PendingScan[] = agent.inbox
    .map((entry) => ({ id: entry.scanId, kind: entry.kind, requestedAt: entry.requestedAt }))
    .sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : a.id < b.id ? -1 : 1));
  // A full inbox gets no agent-start scan: the pending ones are scans of this server just the same.
  if (input.starting && group?.scanOnAgentStart && !pendingScans.some((s) => s.kind === 'agent-start') && agent.inbox.length < MAX_OPEN_SCANS) {
    const scan = await requestScan(tenantId, server, 'agent-start', now, { count: agent.inbox.length, retryAfterSeconds: tenant.checkInIntervalSeconds });
    if (scan) pendingScans.push({ id: scan.id, kind: scan.kind, requestedAt: scan.requestedAt });
  }

  const stale = !server.lastSeenAt || now.getTime() - Date.parse(server.lastSeenAt) >= LAST_SEEN_COALESCE_MS;
  const software = input.software && softwareChanged(server.software, input.software) ? sortedSoftware(input.software) : undefined;
  if (stale || server.agentVersion !== input.agentVersion || (input.watching && server.watching !== input.watching) || software) {
    // The condition makes a fresh lastSeenAt a no-op write that DynamoDB refuses.
    const coalesce = stale ? LAST_SEEN_COALESCE_MS : 0;
    await servers.update(
      tenantId,
      server.id,
      { set: { lastSeenAt: now.toISOString(), agentVersion: input.agentVersion, watching: input.watching, software } },
      {
        expression: 'attribute_exists(pk) AND (attribute_type(lastSeenAt, :null) OR lastSeenAt < :stale)',
        values: { ':null': 'NULL', ':stale': new Date(now.getTime() - coalesce).toISOString() },
      },
    );
  }
  return { serverId: server.id, configVersion, config, pendingScans, checkInIntervalSeconds: tenant.checkInIntervalSeconds };
}

/** The reported software as stored: unique and sorted, so the same set in another order is no change. */
const sortedSoftware = (software: readonly string[]): string[] => [...new Set(software)].sort();

function softwareChanged(stored: readonly string[] | undefined, reported: readonly string[]): boolean {
  const next = sortedSoftware(reported);
  return !stored || stored.length !== next.length || stored.some((s, i) => s !== next[i]);
}
