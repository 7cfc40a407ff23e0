import { z } from '@hono/zod-openapi';
import { EventLabelSchema, EventSchema } from '../../model/event.ts';
import { getEvent, listEvents, servedEvent } from '../../store/events.ts';
import { editLabelNote, labelEvents, unlabelEvent, withCurrentLabelNames } from '../../use-cases/label-events.ts';
import { ruleDraftOf } from '../../use-cases/manage-rules.ts';
import { CreateRuleSchema } from '../schemas/rule.schemas.ts';
import { EventQuerySchema } from '../schemas/event.schemas.ts';
import { EventLabelParamsSchema, LabelEventsSchema, LabelNoteSchema } from '../schemas/label.schemas.ts';
import { errorResponses, idParam, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { actorOf } from '../middleware/auth.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';
import { ValidationError } from '../../shared/problem.ts';

export const eventRoutes = newRouter();
const tag = 'Events';

eventRoutes.openapi(
  listRoute({
    path: '/v1/events',
    operationId: 'listEvents',
    tag,
    summary: 'List change events',
    description:
      'Newest first. Filters combine (AND); `unlabeled=true` is the triage queue (not with `labelId`). Each event says what changed (`changeType`, `changedAttributes`), ' +
      'its state before and after, its severity (from the target\'s `critical`) and its labels.',
    schema: EventSchema,
    filters: EventQuerySchema,
  }),
  async (c) => {
    const { limit, cursor, ...filters } = c.req.valid('query');
    if (filters.labelId && filters.unlabeled) throw new ValidationError('Ask for one label or for unlabeled events, not both.', [{ path: 'unlabeled', message: 'not with labelId' }]);
    const page = await listEvents(c.var.tenantId, filters, { limit, cursor });
    return c.json({ ...page, items: await withCurrentLabelNames(c.var.tenantId, page.items) }, 200);
  },
);

eventRoutes.openapi(
  getRoute({ path: '/v1/events/{id}', what: 'event', operationId: 'getEvent', tag, summary: 'Get an event', description: 'One change with its before and after states and its labels.', schema: EventSchema }),
  async (c) => {
  const event = servedEvent(found(await getEvent(c.var.tenantId, c.req.valid('param').id), 'event'));
  return c.json((await withCurrentLabelNames(c.var.tenantId, [event]))[0]!, 200);
  },
);

eventRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/events/labels',
    access: 'user',
    operationId: 'labelEvents',
    tag,
    summary: 'Label events',
    description: 'Up to 500 events at once, with an optional note; each application is recorded in the label history. Every event must exist and be able to take the label, or nothing is labeled. An event that already has the label keeps it (its note is set when a note is given).',
    request: { body: jsonBody(LabelEventsSchema) },
    responses: {
      200: jsonResponse(z.object({ labeled: z.number().int(), newlyLabeled: z.number().int(), alreadyLabeled: z.number().int(), notesChanged: z.number().int() }), 'How many events carry the label now, and how many got it now.'),
      ...errorResponses,
    },
  }),
  async (c) => c.json(await labelEvents(c.var.tenantId, c.req.valid('json'), actorOf(c.var.principal), new Date()), 200),
);

eventRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/events/{id}/labels/{labelId}',
    access: 'user',
    operationId: 'unlabelEvent',
    tag,
    summary: 'Take a label off an event',
    description: 'The removal is recorded in the label history. An event that does not carry the label: 404.',
    request: { params: EventLabelParamsSchema },
    responses: { ...noContent, ...errorResponses },
  }),
  async (c) => {
    const { id, labelId } = c.req.valid('param');
    await unlabelEvent(c.var.tenantId, id, labelId, actorOf(c.var.principal), new Date());
    return c.body(null, 204);
  },
);

eventRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/events/{id}/labels/{labelId}',
    access: 'user',
    operationId: 'editEventLabelNote',
    tag,
    summary: 'Edit the note of a label on an event',
    description: '`null` (or an empty string) removes the note. The change is recorded in the label history.',
    request: { params: EventLabelParamsSchema, body: jsonBody(LabelNoteSchema) },
    responses: { 200: jsonResponse(EventLabelSchema, 'The label on the event.'), ...errorResponses },
  }),
  async (c) => {
    const { id, labelId } = c.req.valid('param');
    return c.json(await editLabelNote(c.var.tenantId, id, labelId, c.req.valid('json').note, actorOf(c.var.principal), new Date()), 200);
  },
);

eventRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/events/{id}/rule-draft',
    access: 'author',
    operationId: 'draftRuleFromEvent',
    tag,
    summary: 'Draft a rule from an event',
    description:
      'Learn from an event: a rule body whose criteria match it (path, change type, hostname), labeling with Expected, to adjust and post to /v1/rules. Nothing is stored.',
    request: { params: idParam('event') },
    responses: { 200: jsonResponse(CreateRuleSchema, 'A rule body.'), ...errorResponses },
  }),
  async (c) => c.json(ruleDraftOf(found(await getEvent(c.var.tenantId, c.req.valid('param').id), 'event')), 200),
);
