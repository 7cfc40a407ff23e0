import { z } from '@hono/zod-openapi';
import { LabelSchema } from '../../model/label.ts';
import { InvalidCursorError } from '../../store/cursor.ts';
import { createLabel, deleteLabel, labelsFor, patchLabel } from '../../use-cases/manage-labels.ts';
import { CreateLabelSchema, LabelListQuerySchema, PatchLabelSchema } from '../schemas/label.schemas.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse, listQuery, noContent } from '../schemas/common.schemas.ts';
import { getLabel } from '../../store/labels.ts';
import { actorOf } from '../middleware/auth.ts';
import { found, getRoute, newRouter, route } from '../router.ts';

export const labelRoutes = newRouter();
const tag = 'Labels';

labelRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/labels',
    access: 'author',
    operationId: 'createLabel',
    tag,
    summary: 'Create a label',
    description: 'Tenant-wide, or usable on one policy\'s events only with `policyId`. Names are unique (case-insensitive) among the labels an event could take. `notify` sends labeled events to the sync destinations.',
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
    operationId: 'listLabels',
    tag,
    summary: 'List labels',
    description: 'The five defaults (Important, Suspicious, Expected, Ignored, Planned) and the tenant\'s own. A tenant has at most a few dozen labels: they come in one page (`nextCursor` is null).',
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

labelRoutes.openapi(
  getRoute({ path: '/v1/labels/{id}', what: 'label', operationId: 'getLabel', tag, summary: 'Get a label', description: 'Its name, color, description, whether it notifies, and its policy if it has one.', schema: LabelSchema }),
  async (c) =>
  c.json(found(await getLabel(c.var.tenantId, c.req.valid('param').id), 'label'), 200),
);

labelRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/labels/{id}',
    access: 'author',
    operationId: 'updateLabel',
    tag,
    summary: 'Edit a label',
    description: 'Name, color, description or notify, of the default labels too; fields left out stay unchanged. Events and their history show the new name.',
    request: { params: idParam('label'), body: jsonBody(PatchLabelSchema) },
    responses: { 200: jsonResponse(LabelSchema, 'The label.'), ...conflictResponse('A label with this name exists, or the label changed meanwhile (read it again).'), ...errorResponses },
  }),
  async (c) => c.json(await patchLabel(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);

labelRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/labels/{id}',
    access: 'admin',
    operationId: 'deleteLabel',
    tag,
    summary: 'Delete a label',
    description: 'It is taken off every event in the background; the label history keeps its records. Deleting again before that cleanup has finished answers 204 and makes sure it runs (safe to retry).',
    request: { params: idParam('label') },
    responses: { ...noContent, ...conflictResponse('An active rule applies this label (the answer names it), or the label changed meanwhile.'), ...errorResponses },
  }),
  async (c) => {
    await deleteLabel(c.var.tenantId, c.req.valid('param').id, actorOf(c.var.principal), new Date());
    return c.body(null, 204);
  },
);
