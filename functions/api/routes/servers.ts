import { DriftSchema, ServerSchema, type Server } from '../../model/server.ts';
import { ScanSchema } from '../../model/scan.ts';
import { MAX_OPEN_SCANS } from '../../domain/open-scans.ts';
import { serverStatus } from '../../domain/server-status.ts';
import { getServer, listServers, type ServerItem } from '../../store/servers.ts';
import { getTenant } from '../../store/tenants.ts';
import { DEFAULT_CHECK_IN_SECONDS } from '../../model/settings.ts';
import { toScan } from '../../store/scans.ts';
import { deactivateServer } from '../../use-cases/deactivate-server.ts';
import { getDrift } from '../../use-cases/get-drift.ts';
import { patchServer } from '../../use-cases/patch-server.ts';
import { requestServerScan } from '../../use-cases/request-server-scan.ts';
import { PatchServerSchema, ServerListQuerySchema } from '../schemas/server.schemas.ts';
import { errorResponses, idParam, jsonBody, jsonResponse, noContent, tooManyRequestsResponse } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';

export const serverRoutes = newRouter();
const tag = 'Servers';

/** The served server: named fields only (no secret hash), status derived from lastSeenAt and the tenant's check-in interval. */
async function served(tenantId: string, items: ServerItem[], now = new Date()): Promise<Server[]> {
  const interval = (await getTenant(tenantId))?.checkInIntervalSeconds ?? DEFAULT_CHECK_IN_SECONDS;
  return items.map((item) => ({
    id: item.id,
    hostname: item.hostname,
    platform: item.platform,
    agentVersion: item.agentVersion,
    groupId: item.groupId,
    tags: item.tags,
    status: serverStatus(item, now, interval),
    lastSeenAt: item.lastSeenAt,
    enrolledAt: item.enrolledAt,
    fimState: item.fimState,
    ...(item.watching ? { watching: item.watching } : {}),
    ...(item.software ? { software: item.software } : {}),
  }));
}

const mustGet = async (tenantId: string, id: string): Promise<ServerItem> => found(await getServer(tenantId, id), 'server');

serverRoutes.openapi(
  listRoute({
    path: '/v1/servers',
    operationId: 'listServers',
    tag,
    summary: 'List servers',
    description:
      'Every enrolled server (deactivated ones too), optionally of one group. `status` is `offline` when the agent has not been seen for two check-in intervals beyond the 15 minutes `lastSeenAt` may lag.',
    schema: ServerSchema,
    filters: ServerListQuerySchema,
  }),
  async (c) => {
    const { limit, cursor, groupId } = c.req.valid('query');
    const page = await listServers(c.var.tenantId, { limit, cursor }, groupId);
    return c.json({ items: await served(c.var.tenantId, page.items), nextCursor: page.nextCursor }, 200);
  },
);

serverRoutes.openapi(
  getRoute({
    path: '/v1/servers/{id}',
    what: 'server',
    operationId: 'getServer',
    tag,
    summary: 'Get a server',
    description: 'Its hostname, platform, agent version, group, status, FIM state and the software its agent reported.',
    schema: ServerSchema,
  }),
  async (c) => c.json((await served(c.var.tenantId, [await mustGet(c.var.tenantId, c.req.valid('param').id)]))[0]!, 200),
);

serverRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/servers/{id}',
    access: 'author',
    operationId: 'updateServer',
    tag,
    summary: 'Move a server to another group or override its FIM state',
    description:
      "`groupId` moves the server (it runs the new group's policies from its next check-in). `fimState` `inherit` follows the policies' own state; `off`, `on` or `real-time` override it for this server.",
    request: { params: idParam('server'), body: jsonBody(PatchServerSchema) },
    responses: { 200: jsonResponse(ServerSchema, 'The server.'), ...errorResponses },
  }),
  async (c) => {
    const updated = await patchServer(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'));
    return c.json((await served(c.var.tenantId, [updated]))[0]!, 200);
  },
);

serverRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/servers/{id}',
    access: 'admin',
    operationId: 'deactivateServer',
    tag,
    summary: 'Deactivate a server',
    description: 'Its agent credential is refused (401) from now on and it gets no more scans; its events and scans stay. Enroll the host again to monitor it anew.',
    request: { params: idParam('server') },
    responses: { ...noContent, ...errorResponses },
  }),
  async (c) => {
    await deactivateServer(c.var.tenantId, c.req.valid('param').id);
    return c.body(null, 204);
  },
);

for (const [path, kind, operationId, summary, description] of [
  [
    '/v1/servers/{id}/scans',
    'on-demand',
    'requestServerScan',
    'Request an on-demand scan',
    'A pending `on-demand` scan that the agent runs at its next check-in; follow it with GET /v1/scans/{id}. A deactivated server: 404.',
  ],
  [
    '/v1/servers/{id}/baseline/rebuild',
    'baseline',
    'rebuildServerBaseline',
    'Rebuild the baseline',
    'A pending `baseline` scan: when it completes, its result replaces the baseline and yields no events (after a planned change you do not want reported). A deactivated server: 404.',
  ],
] as const satisfies readonly (readonly [string, 'on-demand' | 'baseline', string, string, string])[]) {
  serverRoutes.openapi(
    route({
      method: 'post',
      path,
      access: 'author',
      operationId,
      tag,
      summary,
      description,
      request: { params: idParam('server') },
      responses: { 202: jsonResponse(ScanSchema, 'The pending scan.'), ...errorResponses, ...tooManyRequestsResponse(`The server already holds ${MAX_OPEN_SCANS} open scans.`) },
    }),
    async (c) => c.json(toScan(await requestServerScan(c.var.tenantId, c.req.valid('param').id, kind, new Date())), 202),
  );
}

serverRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/servers/{id}/drift',
    access: 'read-only',
    operationId: 'getServerDrift',
    tag,
    summary: 'Drift from the baseline',
    description:
      'Every entry whose state in the latest completed scan differs from the baseline, per policy: what a rebuild of the baseline would accept. Unlike events, a change that was reverted is not listed.',
    request: { params: idParam('server') },
    responses: { 200: jsonResponse(DriftSchema, 'Differences from the baseline.'), ...errorResponses },
  }),
  async (c) => c.json({ items: await getDrift(c.var.tenantId, c.req.valid('param').id) }, 200),
);
