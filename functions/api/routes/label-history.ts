import { LabelRecordSchema } from '../../model/label.ts';
import { listLabelHistory } from '../../use-cases/list-label-history.ts';
import { LabelHistoryQuerySchema } from '../schemas/label.schemas.ts';
import { listRoute, newRouter } from '../router.ts';

export const labelHistoryRoutes = newRouter();

labelHistoryRoutes.openapi(
  listRoute({
    path: '/v1/label-history',
    operationId: 'listLabelHistory',
    tag: 'Labels',
    summary: 'Label history',
    description:
      'Every label applied, removed or re-noted, by a user (API key id) or a rule, newest first, with the event it concerns. Kept as Tanium keeps it: records older than 30 days are gone; over 1,000,000 records in a tenant the oldest go first, but every record stays at least 72 hours.',
    schema: LabelRecordSchema,
    filters: LabelHistoryQuerySchema,
  }),
  async (c) => {
    const { limit, cursor, ...filter } = c.req.valid('query');
    return c.json(await listLabelHistory(c.var.tenantId, filter, { limit, cursor }, new Date()), 200);
  },
);
