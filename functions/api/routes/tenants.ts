import { CreatedApiKeySchema, CreatedTenantSchema } from '../../model/api-key.ts';
import { createTenant } from '../../use-cases/create-tenant.ts';
import { issueAdminKey } from '../../use-cases/issue-admin-key.ts';
import { CreateTenantSchema, IssueAdminKeySchema } from '../schemas/api-key.schemas.ts';
import { errorResponses, idParam, jsonResponse, jsonBody } from '../schemas/common.schemas.ts';
import { callerOf } from '../request-origin.ts';
import { newRouter, route } from '../router.ts';

export const tenantRoutes = newRouter();
const tag = 'Tenants';

tenantRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/tenants',
    access: 'operator',
    operationId: 'createTenant',
    tag,
    summary: 'Create a tenant',
    description:
      'Creates the tenant with its built-in `Unassigned` server group and five default labels, and answers its first admin API key and its enrollment key. ' +
      "Both are shown once (only hashes are stored): hand the admin key to the tenant's administrator, who creates the other keys.",
    request: { body: jsonBody(CreateTenantSchema) },
    responses: { 201: jsonResponse(CreatedTenantSchema, 'The tenant, its admin key and enrollment key.'), ...errorResponses },
  }),
  async (c) => c.json(await createTenant(c.req.valid('json').name, new Date(), callerOf(c)), 201),
);

tenantRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/tenants/{id}/admin-keys',
    access: 'operator',
    operationId: 'issueTenantAdminKey',
    tag,
    summary: 'Issue a tenant a new admin key',
    description:
      "The way back in for a tenant that lost its admin keys (docs/operations.md). The key is answered once; the tenant's audit trail records it as `admin-key.issued` by the operator, with the source address. The body is optional.",
    request: { params: idParam('tenant'), body: { ...jsonBody(IssueAdminKeySchema), required: false } },
    responses: { 201: jsonResponse(CreatedApiKeySchema, 'The new admin key, shown once.'), ...errorResponses },
  }),
  async (c) => c.json(await issueAdminKey(c.req.valid('param').id, c.req.valid('json')?.name, callerOf(c), new Date()), 201),
);
