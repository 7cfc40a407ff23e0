import { z } from '@hono/zod-openapi';
import { LabelSchema } from '../../model/label.ts';
import { InvalidCursorError } from '../../store/cursor.ts';
import { createLabel, deleteLabel, labelsFor, patchLabel } from '../../use-cases/manage-labels.ts';
import { CreateLabelSchema, LabelListQuerySchema, PatchLabelSchema } from '../schemas/label.schemas.ts';
import { conflictResponse, errorResponses, IdParamSchema, jsonBody, jsonResponse, listQuery, noContent } from '../schemas/common.schemas.ts';
import { getLabel } from '../../store/labels.ts';
import { actorOf } from '../middleware/auth.ts';
import { found, getRoute, newRouter, route } from '../router.ts';

export const labelRoutes = newRouter();
const tags = ['Labels'];

labelRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/labels',
    access: 'author',
    tags,
    summary: 'Create a label (tenant-wide, or for one policy with policyId)',
    request: { body: jsonBody(CreateLabelSchema) },
    responses: { 201: jsonResponse(LabelSchema, 'The label.'), ...conflictResponse('A label with this name exists.'), ...errorResponses },
  }),
  async (c) => c.json(await createLabel(c.var.tenantId, c.req.valid('json'), new Date()), 201),
);

labelRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/labels',
    access: 'read-only',
    tags,
    summary: 'Labels: the five defaults (Important, Suspicious, Expected, Ignored, Planned) and the tenant\'s own',
    description: 'A tenant has at most a few dozen labels: they come in one page (`nextCursor` is null).',
    request: { query: listQuery(LabelListQuerySchema) },
    responses: { 200: jsonResponse(z.object({ items: z.array(LabelSchema), nextCursor: z.null() }), 'Every label.'), ...errorResponses },
  }),
  async (c) => {
    const { cursor, policyId } = c.req.valid('query');
    // One page only, so no cursor was ever handed out: any cursor given is made up (issue 10, item 5).
    if (cursor !== undefined) throw new InvalidCursorError();
    return c.json({ items: await labelsFor(c.var.tenantId, policyId), nextCursor: null }, 200);
  },
);

labelRoutes.openapi(getRoute({ path: '/v1/labels/{id}', tags, summary: 'Get a label', schema: LabelSchema }), async (c) =>
  c.json(found(await getLabel(c.var.tenantId, c.req.valid('param').id), 'label'), 200),
);

labelRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/labels/{id}',
    access: 'author',
    tags,
    summary: 'Edit a label\'s name, color, description or notify (defaults too)',
    request: { params: IdParamSchema, body: jsonBody(PatchLabelSchema) },
    responses: { 200: jsonResponse(LabelSchema, 'The label.'), ...conflictResponse('A label with this name exists.'), ...errorResponses },
  }),
  async (c) => c.json(await patchLabel(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);

labelRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/labels/{id}',
    access: 'admin',
    tags,
    summary: 'Delete a label: it is taken off every event (in the background); the history keeps its records',
    description: 'Deleting again before that cleanup has finished answers 204 and makes sure it runs (safe to retry).',
    request: { params: IdParamSchema },
    responses: { ...noContent, ...conflictResponse('An active rule applies this label.'), ...errorResponses },
  }),
  async (c) => {
    await deleteLabel(c.var.tenantId, c.req.valid('param').id, actorOf(c.var.principal), new Date());
    return c.body(null, 204);
  },
);
