import { NotFoundError } from '../../shared/problem.ts';
import { ScanSchema } from '../../model/scan.ts';
import { getScan, listScans, toScan } from '../../store/scans.ts';
import { ScanListQuerySchema } from '../schemas/scan.schemas.ts';
import { errorResponses, IdParamSchema, jsonResponse, listQuery, pageOf } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

export const scanRoutes = newRouter();
const tags = ['Scans'];

scanRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/scans',
    access: 'read-only',
    tags,
    summary: 'List scans, newest first',
    request: { query: listQuery(ScanListQuerySchema) },
    responses: { 200: jsonResponse(pageOf(ScanSchema), 'Scans.'), ...errorResponses },
  }),
  async (c) => {
    const { limit, cursor, ...filter } = c.req.valid('query');
    const page = await listScans(c.var.tenantId, { limit, cursor }, filter);
    return c.json({ items: page.items.map(toScan), nextCursor: page.nextCursor }, 200);
  },
);

scanRoutes.openapi(
  route({ method: 'get', path: '/v1/scans/{id}', access: 'read-only', tags, summary: 'Get a scan', request: { params: IdParamSchema }, responses: { 200: jsonResponse(ScanSchema, 'The scan.'), ...errorResponses } }),
  async (c) => {
    const scan = await getScan(c.var.tenantId, c.req.valid('param').id);
    if (!scan) throw new NotFoundError('scan');
    return c.json(toScan(scan), 200);
  },
);
