import { z } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/problem.ts';
import { ReportSchema } from '../../model/report.ts';
import { deleteReport, getReport, listReports, readReportBytes, toReport } from '../../store/reports.ts';
import { ReportQuerySchema } from '../schemas/report.schemas.ts';
import { errorResponses, idParam, noContent } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';

export const reportRoutes = newRouter();
const tag = 'Reports';

reportRoutes.openapi(
  listRoute({
    path: '/v1/reports',
    operationId: 'listReports',
    tag,
    summary: 'Weekly reports, newest first',
    description: 'One report per policy with `reports: true` at each weekly report time (settings `weeklyReport`).',
    schema: ReportSchema,
    filters: ReportQuerySchema,
  }),
  async (c) => {
    const { limit, cursor, policyId } = c.req.valid('query');
    const page = await listReports(c.var.tenantId, { limit, cursor }, policyId);
    return c.json({ items: page.items.map(toReport), nextCursor: page.nextCursor }, 200);
  },
);

reportRoutes.openapi(getRoute({ path: '/v1/reports/{id}', what: 'report', operationId: 'getReport', tag, summary: 'Get a report', description: 'Its policy, the window of label records it covers, its row count and size.', schema: ReportSchema }), async (c) =>
  c.json(toReport(found(await getReport(c.var.tenantId, c.req.valid('param').id), 'report')), 200),
);

reportRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/reports/{id}/download',
    access: 'read-only',
    operationId: 'downloadReport',
    tag,
    summary: 'Download a report: a zip holding one CSV',
    description: 'Columns: appliedAt, labelName, note, appliedBy, hostname, path, changeType, then action, eventId, labelId, serverId, detectedAt. UTF-8 with a byte order mark, RFC 4180 quoting, CRLF.',
    request: { params: idParam('report') },
    responses: {
      200: { description: 'The zip.', content: { 'application/zip': { schema: z.string().openapi({ format: 'binary' }) } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const report = found(await getReport(c.var.tenantId, c.req.valid('param').id), 'report');
    const bytes = await readReportBytes(c.var.tenantId, report);
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${report.fileName}"`,
      'content-length': String(bytes.length),
    });
  },
);

reportRoutes.openapi(
  route({ method: 'delete', path: '/v1/reports/{id}', access: 'author', operationId: 'deleteReport', tag, summary: 'Delete a report', description: 'The report and its stored parts; later reports are unaffected.', request: { params: idParam('report') }, responses: { ...noContent, ...errorResponses } }),
  async (c) => {
    if (!(await deleteReport(c.var.tenantId, c.req.valid('param').id, new Date()))) throw new NotFoundError('report');
    return c.body(null, 204);
  },
);
