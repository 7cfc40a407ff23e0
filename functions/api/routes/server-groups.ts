import { createRoute, z } from '@hono/zod-openapi';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/problem.ts';
import { newId } from '../../shared/ids.ts';
import { deleteGroup, getGroup, listGroups, putGroup, type GroupItem } from '../../store/groups.ts';
import { getPolicies } from '../../store/policies.ts';
import { listServers } from '../../store/servers.ts';
import { requestScan } from '../../store/scan-requests.ts';
import { bumpConfigVersion } from '../../store/tenants.ts';
import { toScan } from '../../store/scans.ts';
import { CreateGroupSchema, GroupSchema, PatchGroupSchema, type Group } from '../schemas/group.schemas.ts';
import { ScanSchema } from '../schemas/scan.schemas.ts';
import { errorResponses, IdParamSchema, jsonBody, jsonResponse, ListQuerySchema, noContent, pageOf } from '../schemas/common.schemas.ts';
import { tenantOf } from '../middleware/auth.ts';
import { newRouter } from '../router.ts';

export const groupRoutes = newRouter();
const tags = ['Server groups'];

function toGroup(item: GroupItem): Group {
  const { lastScheduledSlot: _slot, ...group } = item;
  return group;
}

async function mustGet(tenantId: string, id: string): Promise<GroupItem> {
  const group = await getGroup(tenantId, id);
  if (!group) throw new NotFoundError('server group');
  return group;
}

/** Policies must exist in this tenant and tags must be unique, or enrollment would be ambiguous. */
async function validateReferences(tenantId: string, group: Pick<Group, 'id' | 'tag' | 'policyIds'>) {
  const found = await getPolicies(tenantId, group.policyIds);
  const missing = group.policyIds.filter((id) => !found.some((p) => p.id === id));
  if (missing.length) {
    throw new ValidationError('Unknown policy ids.', missing.map((id) => ({ path: `policyIds.${group.policyIds.indexOf(id)}`, message: `no policy ${id}` })));
  }
  if (group.tag) {
    const clash = (await listGroups(tenantId)).find((g) => g.tag === group.tag && g.id !== group.id);
    if (clash) throw new ConflictError(`The tag "${group.tag}" already belongs to group ${clash.id}.`);
  }
}

groupRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/server-groups',
    tags,
    summary: 'Create a server group',
    request: { body: jsonBody(CreateGroupSchema) },
    responses: { 201: jsonResponse(GroupSchema, 'The group.'), ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const input = c.req.valid('json');
    const now = new Date().toISOString();
    const group: GroupItem = { id: newId('grp'), ...input, builtIn: false, createdAt: now, updatedAt: now };
    await validateReferences(tenantId, group);
    await putGroup(tenantId, group);
    await bumpConfigVersion(tenantId);
    return c.json(toGroup(group), 201);
  },
);

groupRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/server-groups',
    tags,
    summary: 'List server groups (the built-in Unassigned group included)',
    request: { query: ListQuerySchema },
    responses: { 200: jsonResponse(pageOf(GroupSchema), 'Groups by creation.'), ...errorResponses },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const all = (await listGroups(tenantOf(c.get('principal')))).sort((a, b) => (a.id < b.id ? -1 : 1));
    // Groups per tenant are few: page in memory with the last id as cursor.
    const start = cursor ? all.findIndex((g) => g.id > Buffer.from(cursor, 'base64url').toString()) : 0;
    const items = start < 0 ? [] : all.slice(start, start + limit);
    const more = start >= 0 && start + limit < all.length;
    return c.json({ items: items.map(toGroup), nextCursor: more ? Buffer.from(items[items.length - 1]!.id).toString('base64url') : null }, 200);
  },
);

groupRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/server-groups/{id}',
    tags,
    summary: 'Get a server group',
    request: { params: IdParamSchema },
    responses: { 200: jsonResponse(GroupSchema, 'The group.'), ...errorResponses },
  }),
  async (c) => c.json(toGroup(await mustGet(tenantOf(c.get('principal')), c.req.valid('param').id)), 200),
);

groupRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/v1/server-groups/{id}',
    tags,
    summary: 'Update a server group; unset fields stay unchanged, null clears description or tag',
    request: { params: IdParamSchema, body: jsonBody(PatchGroupSchema) },
    responses: { 200: jsonResponse(GroupSchema, 'The group.'), ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const current = await mustGet(tenantId, c.req.valid('param').id);
    const patch = c.req.valid('json');
    const next: GroupItem = { ...current, updatedAt: new Date().toISOString() };
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (value === null) delete (next as unknown as Record<string, unknown>)[field];
      else (next as unknown as Record<string, unknown>)[field] = value;
    }
    await validateReferences(tenantId, next);
    await putGroup(tenantId, next);
    await bumpConfigVersion(tenantId);
    return c.json(toGroup(next), 200);
  },
);

groupRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/server-groups/{id}',
    tags,
    summary: 'Delete a server group (it must have no servers; the Unassigned group cannot be deleted)',
    request: { params: IdParamSchema },
    responses: { ...noContent, 409: errorResponses[404], ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const group = await mustGet(tenantId, c.req.valid('param').id);
    if (group.builtIn) throw new ConflictError('The built-in Unassigned group cannot be deleted.');
    const servers = await listServers(tenantId, { limit: 1 }, group.id);
    if (servers.items.length) throw new ConflictError('The group still has servers; move them to another group first.');
    if (!(await deleteGroup(tenantId, group.id))) throw new NotFoundError('server group');
    await bumpConfigVersion(tenantId);
    return c.body(null, 204);
  },
);

groupRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/server-groups/{id}/scans',
    tags,
    summary: 'Request an on-demand scan of every active server of the group',
    request: { params: IdParamSchema },
    responses: { 202: jsonResponse(z.object({ scans: z.array(ScanSchema) }), 'One pending scan per active server.'), ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const group = await mustGet(tenantId, c.req.valid('param').id);
    const now = new Date();
    const scans = [];
    let cursor: string | undefined;
    do {
      const page = await listServers(tenantId, { limit: 500, cursor }, group.id);
      for (const server of page.items.filter((s) => s.state === 'active')) {
        const scan = await requestScan(tenantId, server.id, 'on-demand', now);
        if (scan) scans.push(toScan(scan));
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return c.json({ scans }, 202);
  },
);
