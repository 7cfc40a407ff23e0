import { AuditEntrySchema } from '../../model/audit.ts';
import { listAudit } from '../../store/audit.ts';
import { AuditQuerySchema } from '../schemas/audit.schemas.ts';
import { listRoute, newRouter } from '../router.ts';

export const auditRoutes = newRouter();

auditRoutes.openapi(
  listRoute({
    path: '/v1/audit',
    access: 'admin',
    operationId: 'listAuditEntries',
    tag: 'Audit',
    summary: "The tenant's audit trail",
    description:
      'Newest first. Who did what, when and from where: each enrollment (enrollment key generation, source address, user agent, hostname), enrollments refused by the rate limit, API keys created and revoked, admin keys issued by the operator, enrollment key rotations.',
    schema: AuditEntrySchema,
    filters: AuditQuerySchema,
  }),
  async (c) => {
    const { limit, cursor, ...filter } = c.req.valid('query');
    return c.json(await listAudit(c.var.tenantId, filter, { limit, cursor }), 200);
  },
);
