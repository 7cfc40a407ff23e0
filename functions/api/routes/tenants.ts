import { CreatedTenantSchema } from '../../model/api-key.ts';
import { createTenant } from '../../use-cases/create-tenant.ts';
import { CreateTenantSchema } from '../schemas/api-key.schemas.ts';
import { errorResponses, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

export const tenantRoutes = newRouter();

tenantRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/tenants',
    access: 'operator',
    tags: ['Tenants'],
    summary: 'Create a tenant (operator key only)',
    description: 'Creates the tenant with its built-in Unassigned group and answers its first admin API key and enrollment key, shown once.',
    request: { body: jsonBody(CreateTenantSchema) },
    responses: { 201: jsonResponse(CreatedTenantSchema, 'The tenant, its admin key and enrollment key.'), ...errorResponses },
  }),
  async (c) => c.json(await createTenant(c.req.valid('json').name, new Date()), 201),
);
