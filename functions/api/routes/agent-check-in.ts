import { createRoute } from '@hono/zod-openapi';
import { ForbiddenError } from '../../shared/problem.ts';
import { CheckInRequestSchema, CheckInResponseSchema, type PendingScan } from '../../contract/agent.schemas.ts';
import { effectivePolicies } from '../../domain/effective-policy.ts';
import { LAST_SEEN_COALESCE_MS } from '../../domain/server-status.ts';
import { getGroup } from '../../store/groups.ts';
import { getPolicies } from '../../store/policies.ts';
import { touchServer } from '../../store/servers.ts';
import { requestScan } from '../../store/scan-requests.ts';
import { errorResponses, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter } from '../router.ts';

export const agentCheckInRoutes = newRouter();

/**
 * The check-in dominates the bill (every agent, every few minutes), so its usual cost is the one
 * BatchGet the authentication already did (server + tenant): config is read only when its version
 * moved, and lastSeenAt is written only when it is older than the coalescing window.
 */
agentCheckInRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/agent/check-in',
    tags: ['Agent protocol'],
    summary: 'Heartbeat: config (when changed) and pending scans',
    request: { body: jsonBody(CheckInRequestSchema) },
    responses: { 200: jsonResponse(CheckInResponseSchema, 'What the agent should do.'), ...errorResponses },
  }),
  async (c) => {
    const principal = c.get('principal');
    if (principal.kind !== 'agent') throw new ForbiddenError();
    const { tenantId, server, tenant } = principal;
    const input = c.req.valid('json');
    const now = new Date();
    const configVersion = String(tenant.configVersion);

    const needsGroup = input.configVersion !== configVersion || input.starting;
    const group = needsGroup ? await getGroup(tenantId, server.groupId) : undefined;
    const config =
      input.configVersion !== configVersion ? { policies: effectivePolicies(await getPolicies(tenantId, group?.policyIds ?? []), server.fimState) } : null;

    const pendingScans: PendingScan[] = Object.entries(server.pendingScans ?? {})
      .map(([id, ref]) => ({ id, kind: ref.kind, requestedAt: ref.requestedAt }))
      .sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : a.id < b.id ? -1 : 1));
    if (input.starting && group?.scanOnAgentStart && !pendingScans.some((s) => s.kind === 'agent-start')) {
      const scan = await requestScan(tenantId, server.id, 'agent-start', now);
      if (scan) pendingScans.push({ id: scan.id, kind: scan.kind, requestedAt: scan.requestedAt });
    }

    const stale = !server.lastSeenAt || now.getTime() - Date.parse(server.lastSeenAt) >= LAST_SEEN_COALESCE_MS;
    if (stale || server.agentVersion !== input.agentVersion || (input.watching && server.watching !== input.watching)) {
      await touchServer(tenantId, server.id, now, stale ? LAST_SEEN_COALESCE_MS : 0, { agentVersion: input.agentVersion, watching: input.watching });
    }
    return c.json({ serverId: server.id, configVersion, config, pendingScans, checkInIntervalSeconds: tenant.checkInIntervalSeconds }, 200);
  },
);
