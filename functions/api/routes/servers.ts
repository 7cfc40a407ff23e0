import { createRoute } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../../shared/problem.ts';
import { serverStatus } from '../../domain/server-status.ts';
import { diffEntries } from '../../domain/diff.ts';
import { deactivateServer, getServer, listServers, updateServer, type ServerItem } from '../../store/servers.ts';
import { getGroup } from '../../store/groups.ts';
import { getPolicies } from '../../store/policies.ts';
import { listScanStates } from '../../store/scan-state.ts';
import { differingEntries } from '../../store/tree-diff.ts';
import { requestScan } from '../../store/scan-requests.ts';
import { toScan } from '../../store/scans.ts';
import { bumpConfigVersion, DEFAULT_CHECK_IN_SECONDS } from '../../store/tenants.ts';
import { DriftSchema, PatchServerSchema, ServerListQuerySchema, ServerSchema, type Server } from '../schemas/server.schemas.ts';
import { ScanSchema } from '../schemas/scan.schemas.ts';
import { errorResponses, IdParamSchema, jsonBody, jsonResponse, ListQuerySchema, noContent, pageOf } from '../schemas/common.schemas.ts';
import { tenantOf } from '../middleware/auth.ts';
import { newRouter } from '../router.ts';

export const serverRoutes = newRouter();
const tags = ['Servers'];

export function toServer(item: ServerItem, now: Date): Server {
  return {
    id: item.id,
    hostname: item.hostname,
    platform: item.platform,
    agentVersion: item.agentVersion,
    groupId: item.groupId,
    tags: item.tags,
    status: serverStatus(item, now, DEFAULT_CHECK_IN_SECONDS),
    lastSeenAt: item.lastSeenAt,
    enrolledAt: item.enrolledAt,
    fimState: item.fimState,
    ...(item.watching ? { watching: item.watching } : {}),
  };
}

async function mustGet(tenantId: string, id: string): Promise<ServerItem> {
  const server = await getServer(tenantId, id);
  if (!server) throw new NotFoundError('server');
  return server;
}

serverRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/servers',
    tags,
    summary: 'List servers, optionally of one group',
    request: { query: ListQuerySchema.extend(ServerListQuerySchema.shape) },
    responses: { 200: jsonResponse(pageOf(ServerSchema), 'Servers.'), ...errorResponses },
  }),
  async (c) => {
    const { limit, cursor, groupId } = c.req.valid('query');
    const page = await listServers(tenantOf(c.get('principal')), { limit, cursor }, groupId);
    const now = new Date();
    return c.json({ items: page.items.map((s) => toServer(s, now)), nextCursor: page.nextCursor }, 200);
  },
);

serverRoutes.openapi(
  createRoute({ method: 'get', path: '/v1/servers/{id}', tags, summary: 'Get a server', request: { params: IdParamSchema }, responses: { 200: jsonResponse(ServerSchema, 'The server.'), ...errorResponses } }),
  async (c) => c.json(toServer(await mustGet(tenantOf(c.get('principal')), c.req.valid('param').id), new Date()), 200),
);

serverRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/v1/servers/{id}',
    tags,
    summary: 'Move a server to another group or override its FIM state',
    request: { params: IdParamSchema, body: jsonBody(PatchServerSchema) },
    responses: { 200: jsonResponse(ServerSchema, 'The server.'), ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const id = c.req.valid('param').id;
    const patch = c.req.valid('json');
    await mustGet(tenantId, id);
    if (patch.groupId && !(await getGroup(tenantId, patch.groupId))) {
      throw new ValidationError('Unknown group.', [{ path: 'groupId', message: `no server group ${patch.groupId}` }]);
    }
    await updateServer(tenantId, id, patch);
    await bumpConfigVersion(tenantId);
    return c.json(toServer(await mustGet(tenantId, id), new Date()), 200);
  },
);

serverRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/servers/{id}',
    tags,
    summary: 'Deactivate a server (admin): its agent credential is refused from now on; its history stays',
    request: { params: IdParamSchema },
    responses: { ...noContent, ...errorResponses },
  }),
  async (c) => {
    if (!(await deactivateServer(tenantOf(c.get('principal')), c.req.valid('param').id))) throw new NotFoundError('server');
    return c.body(null, 204);
  },
);

for (const [path, kind, summary] of [
  ['/v1/servers/{id}/scans', 'on-demand', 'Request an on-demand scan; the agent runs it at its next check-in'],
  ['/v1/servers/{id}/baseline/rebuild', 'baseline', 'Rebuild the baseline: the next scan replaces it and yields no events'],
] as const) {
  serverRoutes.openapi(
    createRoute({ method: 'post', path, tags, summary, request: { params: IdParamSchema }, responses: { 202: jsonResponse(ScanSchema, 'The pending scan.'), ...errorResponses } }),
    async (c) => {
      const tenantId = tenantOf(c.get('principal'));
      const server = await mustGet(tenantId, c.req.valid('param').id);
      const scan = server.state === 'active' ? await requestScan(tenantId, server.id, kind, new Date()) : undefined;
      if (!scan) throw new NotFoundError('active server');
      return c.json(toScan(scan), 202);
    },
  );
}

serverRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/servers/{id}/drift',
    tags,
    summary: 'Entries that differ from the baseline now (per policy)',
    request: { params: IdParamSchema },
    responses: { 200: jsonResponse(DriftSchema, 'Differences from the baseline.'), ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    await mustGet(tenantId, c.req.valid('param').id);
    const states = await listScanStates(tenantId, c.req.valid('param').id);
    const policies = await getPolicies(tenantId, states.map((s) => s.policyId));
    const items = [];
    for (const state of states) {
      const policy = policies.find((p) => p.id === state.policyId);
      if (!policy || state.root === state.baselineRoot) continue;
      const { before, after } = await differingEntries(tenantId, state.baselineRoot, state.root);
      for (const change of diffEntries({ before, after, targets: policy.targets })) {
        items.push({
          path: change.path,
          policyId: policy.id,
          changeType: change.changeType,
          ...(change.previousPath ? { previousPath: change.previousPath } : {}),
          changedAttributes: change.changedAttributes,
          baseline: change.before,
          current: change.after,
        });
      }
    }
    return c.json({ items }, 200);
  },
);
