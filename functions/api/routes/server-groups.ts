import { z } from '@hono/zod-openapi';
import { GroupSchema } from '../../model/server-group.ts';
import { ScanSchema } from '../../model/scan.ts';
import { getGroup, listGroups, toGroup } from '../../store/groups.ts';
import { decodeCursor, encodeCursor } from '../../store/cursor.ts';
import { createGroup } from '../../use-cases/create-group.ts';
import { deleteGroup } from '../../use-cases/delete-group.ts';
import { patchGroup } from '../../use-cases/patch-group.ts';
import { requestGroupScans } from '../../use-cases/request-group-scans.ts';
import { CreateGroupSchema, PatchGroupSchema } from '../schemas/group.schemas.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';

export const groupRoutes = newRouter();
const tag = 'Server groups';

groupRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/server-groups',
    access: 'author',
    operationId: 'createServerGroup',
    tag,
    summary: 'Create a server group',
    description:
      'Agents that enroll with `--tag` equal to its `tag` join it; its servers run its `policyIds` on its `scanSchedule` (UTC) and alert the recipients of its `alertProfileIds`. A tag belongs to one group at most.',
    request: { body: jsonBody(CreateGroupSchema) },
    responses: { 201: jsonResponse(GroupSchema, 'The group.'), ...conflictResponse('Another group has this tag.'), ...errorResponses },
  }),
  async (c) => c.json(toGroup(await createGroup(c.var.tenantId, c.req.valid('json'), new Date())), 201),
);

groupRoutes.openapi(
  listRoute({
    path: '/v1/server-groups',
    operationId: 'listServerGroups',
    tag,
    summary: 'List server groups',
    description: 'Every group, the built-in `Unassigned` group (where agents whose tag matches no group go) included, by id.',
    schema: GroupSchema,
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid('query');
    // Groups per tenant are few: page in memory, with the last id answered as the (signed) cursor.
    const scope = `groups:${c.var.tenantId}`;
    const after = cursor ? String(decodeCursor<string>(scope, cursor)) : '';
    const rest = (await listGroups(c.var.tenantId)).sort((a, b) => (a.id < b.id ? -1 : 1)).filter((g) => g.id > after);
    const items = rest.slice(0, limit);
    return c.json({ items: items.map(toGroup), nextCursor: rest.length > limit ? encodeCursor(scope, items[items.length - 1]!.id) : null }, 200);
  },
);

groupRoutes.openapi(
  getRoute({
    path: '/v1/server-groups/{id}',
    what: 'server group',
    operationId: 'getServerGroup',
    tag,
    summary: 'Get a server group',
    description: 'Its tag, policies, alert profiles, scan schedule and whether its servers scan when their agent starts.',
    schema: GroupSchema,
  }),
  async (c) =>
  c.json(toGroup(found(await getGroup(c.var.tenantId, c.req.valid('param').id), 'server group')), 200),
);

groupRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/server-groups/{id}',
    access: 'author',
    operationId: 'updateServerGroup',
    tag,
    summary: 'Update a server group',
    description: 'Fields left out stay unchanged; `null` clears `description` or `tag`. Its servers get the new policies at their next check-in.',
    request: { params: idParam('server group'), body: jsonBody(PatchGroupSchema) },
    responses: { 200: jsonResponse(GroupSchema, 'The group.'), ...conflictResponse('Another group has this tag.'), ...errorResponses },
  }),
  async (c) => c.json(toGroup(await patchGroup(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date())), 200),
);

groupRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/server-groups/{id}',
    access: 'author',
    operationId: 'deleteServerGroup',
    tag,
    summary: 'Delete a server group',
    description: 'Only an empty group: move its servers first (PATCH /v1/servers/{id} `groupId`). The built-in `Unassigned` group cannot be deleted.',
    request: { params: idParam('server group') },
    responses: { ...noContent, ...conflictResponse('The group has servers, or is the built-in Unassigned group.'), ...errorResponses },
  }),
  async (c) => {
    await deleteGroup(c.var.tenantId, c.req.valid('param').id);
    return c.body(null, 204);
  },
);

groupRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/server-groups/{id}/scans',
    access: 'author',
    operationId: 'requestServerGroupScans',
    tag,
    summary: 'Request an on-demand scan of every active server of the group',
    description: 'The scans are created off the request path (the dispatch queue, as scheduled scans are), with the ids answered here; each agent runs its scan at its next check-in.',
    request: { params: idParam('server group') },
    responses: { 202: jsonResponse(z.object({ scans: z.array(ScanSchema) }), 'One pending scan per active server.'), ...errorResponses },
  }),
  async (c) => c.json({ scans: await requestGroupScans(c.var.tenantId, c.req.valid('param').id, new Date()) }, 202),
);
