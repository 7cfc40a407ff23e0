import { EventSchema } from '../../model/event.ts';
import { getEvent, listEvents } from '../../store/events.ts';
import { EventQuerySchema } from '../schemas/event.schemas.ts';
import { found, getRoute, listRoute, newRouter } from '../router.ts';

export const eventRoutes = newRouter();
const tags = ['Events'];

eventRoutes.openapi(
  listRoute({ path: '/v1/events', tags, summary: 'Change events, newest first, with filters', schema: EventSchema, filters: EventQuerySchema }),
  async (c) => {
    const { limit, cursor, ...filters } = c.req.valid('query');
    return c.json(await listEvents(c.var.tenantId, filters, { limit, cursor }), 200);
  },
);

eventRoutes.openapi(getRoute({ path: '/v1/events/{id}', tags, summary: 'Get an event', schema: EventSchema }), async (c) =>
  c.json(found(await getEvent(c.var.tenantId, c.req.valid('param').id), 'event'), 200),
);
