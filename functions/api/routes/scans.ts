import { ScanSchema } from '../../model/scan.ts';
import { getScan, listScans, toScan } from '../../store/scans.ts';
import { ScanListQuerySchema } from '../schemas/scan.schemas.ts';
import { found, getRoute, listRoute, newRouter } from '../router.ts';

export const scanRoutes = newRouter();
const tag = 'Scans';

scanRoutes.openapi(
  listRoute({
    path: '/v1/scans',
    operationId: 'listScans',
    tag,
    summary: 'List scans',
    description: 'Newest first, optionally of one server or in one status. A `running` scan says for how long (`runningSeconds`).',
    schema: ScanSchema,
    filters: ScanListQuerySchema,
  }),
  async (c) => {
    const { limit, cursor, ...filter } = c.req.valid('query');
    const page = await listScans(c.var.tenantId, { limit, cursor }, filter);
    const now = new Date();
    return c.json({ items: page.items.map((scan) => toScan(scan, now)), nextCursor: page.nextCursor }, 200);
  },
);

scanRoutes.openapi(
  getRoute({
    path: '/v1/scans/{id}',
    what: 'scan',
    operationId: 'getScan',
    tag,
    summary: 'Get a scan',
    description: 'Its kind, status and times; once completed, its change counts (`stats`); once failed, the agent\'s `error`.',
    schema: ScanSchema,
  }),
  async (c) =>
  c.json(toScan(found(await getScan(c.var.tenantId, c.req.valid('param').id), 'scan')), 200),
);
