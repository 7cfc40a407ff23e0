import { NotFoundError } from '../../shared/problem.ts';
import { EventSchema } from '../../model/event.ts';
import { getEvent, listEvents } from '../../store/events.ts';
import { EventQuerySchema } from '../schemas/event.schemas.ts';
import { errorResponses, IdParamSchema, jsonResponse, listQuery, pageOf } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

export const eventRoutes = newRouter();
const tags = ['Events'];

eventRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/events',
    access: 'read-only',
    tags,
    summary: 'Change events, newest first, with filters',
    request: { query: listQuery(EventQuerySchema) },
    responses: { 200: jsonResponse(pageOf(EventSchema), 'Events.'), ...errorResponses },
  }),
  async (c) => {
    const { limit, cursor, ...filters } = c.req.valid('query');
    return c.json(await listEvents(c.var.tenantId, filters, { limit, cursor }), 200);
  },
);

eventRoutes.openapi(
  route({ method: 'get', path: '/v1/events/{id}', access: 'read-only', tags, summary: 'Get an event', request: { params: IdParamSchema }, responses: { 200: jsonResponse(EventSchema, 'The event.'), ...errorResponses } }),
  async (c) => {
    const event = await getEvent(c.var.tenantId, c.req.valid('param').id);
    if (!event) throw new NotFoundError('event');
    return c.json(event, 200);
  },
);
