import { z } from '@hono/zod-openapi';
import { DashboardSchema } from '../../model/dashboard.ts';
import { getDashboard } from '../../use-cases/get-dashboard.ts';
import { errorResponses, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

export const dashboardRoutes = newRouter();
const iso = z.iso.datetime({ offset: true });

dashboardRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/dashboard',
    access: 'read-only',
    operationId: 'getDashboard',
    tag: 'Dashboard',
    summary: 'What changed, in totals',
    description: 'Totals by change type, severity, label and server, and a daily series. Counted in whole UTC days, from the day of `from` (default: 29 days before `to`) to the day of `to` (default: today); at most 366 days.',
    request: {
      query: z
        .object({
          from: iso.optional().openapi({ param: { name: 'from', in: 'query' }, description: 'Start (its UTC day is counted whole).' }),
          to: iso.optional().openapi({ param: { name: 'to', in: 'query' }, description: 'End (its UTC day is counted whole).' }),
        })
        .strict(),
    },
    responses: { 200: jsonResponse(DashboardSchema, 'The dashboard.'), ...errorResponses },
  }),
  async (c) => c.json(await getDashboard(c.var.tenantId, c.req.valid('query'), new Date()), 200),
);
