import { createRoute } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/problem.ts';
import { getEvent, listEvents } from '../../store/events.ts';
import { EventQuerySchema, EventSchema } from '../schemas/event.schemas.ts';
import { errorResponses, IdParamSchema, jsonResponse, ListQuerySchema, pageOf } from '../schemas/common.schemas.ts';
import { tenantOf } from '../middleware/auth.ts';
import { newRouter } from '../router.ts';

export const eventRoutes = newRouter();
const tags = ['Events'];

eventRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/events',
    tags,
    summary: 'Change events, newest first, with filters',
    request: { query: ListQuerySchema.extend(EventQuerySchema.shape) },
    responses: { 200: jsonResponse(pageOf(EventSchema), 'Events.'), ...errorResponses },
  }),
  async (c) => {
    const { limit, cursor, ...filters } = c.req.valid('query');
    return c.json(await listEvents(tenantOf(c.get('principal')), filters, { limit, cursor }), 200);
  },
);

eventRoutes.openapi(
  createRoute({ method: 'get', path: '/v1/events/{id}', tags, summary: 'Get an event', request: { params: IdParamSchema }, responses: { 200: jsonResponse(EventSchema, 'The event.'), ...errorResponses } }),
  async (c) => {
    const event = await getEvent(tenantOf(c.get('principal')), c.req.valid('param').id);
    if (!event) throw new NotFoundError('event');
    return c.json(event, 200);
  },
);
