import { createRoute } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/problem.ts';
import { getScan, listScans, toScan } from '../../store/scans.ts';
import { ScanListQuerySchema, ScanSchema } from '../schemas/scan.schemas.ts';
import { errorResponses, IdParamSchema, jsonResponse, ListQuerySchema, pageOf } from '../schemas/common.schemas.ts';
import { tenantOf } from '../middleware/auth.ts';
import { newRouter } from '../router.ts';

export const scanRoutes = newRouter();
const tags = ['Scans'];

scanRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/scans',
    tags,
    summary: 'List scans, newest first',
    request: { query: ListQuerySchema.extend(ScanListQuerySchema.shape) },
    responses: { 200: jsonResponse(pageOf(ScanSchema), 'Scans.'), ...errorResponses },
  }),
  async (c) => {
    const { limit, cursor, serverId, status } = c.req.valid('query');
    const page = await listScans(tenantOf(c.get('principal')), { limit, cursor }, { serverId, status });
    return c.json({ items: page.items.map(toScan), nextCursor: page.nextCursor }, 200);
  },
);

scanRoutes.openapi(
  createRoute({ method: 'get', path: '/v1/scans/{id}', tags, summary: 'Get a scan', request: { params: IdParamSchema }, responses: { 200: jsonResponse(ScanSchema, 'The scan.'), ...errorResponses } }),
  async (c) => {
    const scan = await getScan(tenantOf(c.get('principal')), c.req.valid('param').id);
    if (!scan) throw new NotFoundError('scan');
    return c.json(toScan(scan), 200);
  },
);
