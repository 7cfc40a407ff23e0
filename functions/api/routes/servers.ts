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
import { errorResponses, IdParamSchema, jsonBody, jsonResponse, noContent, tooManyRequestsResponse } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';

export const serverRoutes = newRouter();
const tags = ['Servers'];

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
  listRoute({ path: '/v1/servers', tags, summary: 'List servers, optionally of one group', schema: ServerSchema, filters: ServerListQuerySchema }),
  async (c) => {
    const { limit, cursor, groupId } = c.req.valid('query');
    const page = await listServers(c.var.tenantId, { limit, cursor }, groupId);
    return c.json({ items: await served(c.var.tenantId, page.items), nextCursor: page.nextCursor }, 200);
  },
);

serverRoutes.openapi(getRoute({ path: '/v1/servers/{id}', tags, summary: 'Get a server', schema: ServerSchema }), async (c) => c.json((await served(c.var.tenantId, [await mustGet(c.var.tenantId, c.req.valid('param').id)]))[0]!, 200),
);

serverRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/servers/{id}',
    access: 'author',
    tags,
    summary: 'Move a server to another group or override its FIM state',
    request: { params: IdParamSchema, body: jsonBody(PatchServerSchema) },
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
    tags,
    summary: 'Deactivate a server (admin): its agent credential is refused from now on; its history stays',
    request: { params: IdParamSchema },
    responses: { ...noContent, ...errorResponses },
  }),
  async (c) => {
    await deactivateServer(c.var.tenantId, c.req.valid('param').id);
    return c.body(null, 204);
  },
);

for (const [path, kind, summary] of [
  ['/v1/servers/{id}/scans', 'on-demand', 'Request an on-demand scan; the agent runs it at its next check-in'],
  ['/v1/servers/{id}/baseline/rebuild', 'baseline', 'Rebuild the baseline: the next scan replaces it and yields no events'],
] as const satisfies readonly (readonly [string, 'on-demand' | 'baseline', string])[]) {
  serverRoutes.openapi(
    route({
      method: 'post',
      path,
      access: 'author',
      tags,
      summary,
      request: { params: IdParamSchema },
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
    tags,
    summary: 'Entries that differ from the baseline now (per policy)',
    request: { params: IdParamSchema },
    responses: { 200: jsonResponse(DriftSchema, 'Differences from the baseline.'), ...errorResponses },
  }),
  async (c) => c.json({ items: await getDrift(c.var.tenantId, c.req.valid('param').id) }, 200),
);
