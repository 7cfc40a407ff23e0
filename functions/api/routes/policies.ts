import { z } from '@hono/zod-openapi';
import { PolicySchema, PolicyTemplateSchema } from '../../model/policy.ts';
import { POLICY_TEMPLATES } from '../../domain/policy-templates.ts';
import { getPolicy, listPolicies } from '../../store/policies.ts';
import { createPolicy } from '../../use-cases/create-policy.ts';
import { deletePolicy } from '../../use-cases/delete-policy.ts';
import { patchPolicy } from '../../use-cases/patch-policy.ts';
import { CreatePolicySchema, PatchPolicySchema } from '../schemas/policy.schemas.ts';
import { conflictResponse, errorResponses, IdParamSchema, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';

export const policyRoutes = newRouter();
const tags = ['Policies'];

policyRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/policies',
    access: 'author',
    tags,
    summary: 'Create a policy (optionally from a template)',
    request: { body: jsonBody(CreatePolicySchema) },
    responses: { 201: jsonResponse(PolicySchema, 'The policy.'), ...errorResponses },
  }),
  async (c) => c.json(await createPolicy(c.var.tenantId, c.req.valid('json'), new Date()), 201),
);

policyRoutes.openapi(listRoute({ path: '/v1/policies', tags, summary: 'List policies', schema: PolicySchema }), async (c) =>
  c.json(await listPolicies(c.var.tenantId, c.req.valid('query')), 200),
);

policyRoutes.openapi(getRoute({ path: '/v1/policies/{id}', tags, summary: 'Get a policy', schema: PolicySchema }), async (c) =>
  c.json(found(await getPolicy(c.var.tenantId, c.req.valid('param').id), 'policy'), 200),
);

policyRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/policies/{id}',
    access: 'author',
    tags,
    summary: 'Update a policy; fields left out stay unchanged (targets, when given, replace the list)',
    request: { params: IdParamSchema, body: jsonBody(PatchPolicySchema) },
    responses: { 200: jsonResponse(PolicySchema, 'The policy.'), ...errorResponses },
  }),
  async (c) => c.json(await patchPolicy(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);

policyRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/policies/{id}',
    access: 'author',
    tags,
    summary: 'Delete a policy that no server group uses',
    request: { params: IdParamSchema },
    responses: { ...noContent, ...conflictResponse('A server group uses the policy.'), ...errorResponses },
  }),
  async (c) => {
    await deletePolicy(c.var.tenantId, c.req.valid('param').id);
    return c.body(null, 204);
  },
);

policyRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/policy-templates',
    access: 'read-only',
    tags,
    summary: 'Built-in policy templates (recommended paths per platform)',
    responses: { 200: jsonResponse(z.array(PolicyTemplateSchema), 'Templates.'), ...errorResponses },
  }),
  (c) => c.json([...POLICY_TEMPLATES], 200),
);
