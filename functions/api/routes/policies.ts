import { z } from '@hono/zod-openapi';
import { PolicySchema, PolicyTemplateSchema } from '../../model/policy.ts';
import { POLICY_TEMPLATES } from '../../domain/policy-templates.ts';
import { getPolicy, listPolicies } from '../../store/policies.ts';
import { createPolicy } from '../../use-cases/create-policy.ts';
import { deletePolicy } from '../../use-cases/delete-policy.ts';
import { patchPolicy } from '../../use-cases/patch-policy.ts';
import { CreatePolicySchema, PatchPolicySchema } from '../schemas/policy.schemas.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';

export const policyRoutes = newRouter();
const tag = 'Policies';

policyRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/policies',
    access: 'author',
    operationId: 'createPolicy',
    tag,
    summary: 'Create a policy',
    description:
      'A policy names what to watch (`targets`) and how (state, hash algorithm, CPU use). `fromTemplate` starts from a template\'s targets (GET /v1/policy-templates). ' +
      'Servers run it once it is in their group\'s `policyIds`; their first scan under it is the baseline and yields no events.',
    request: { body: jsonBody(CreatePolicySchema) },
    responses: { 201: jsonResponse(PolicySchema, 'The policy.'), ...errorResponses },
  }),
  async (c) => c.json(await createPolicy(c.var.tenantId, c.req.valid('json'), new Date()), 201),
);

policyRoutes.openapi(
  listRoute({ path: '/v1/policies', operationId: 'listPolicies', tag, summary: 'List policies', description: 'Every policy of the tenant, with its targets.', schema: PolicySchema }),
  async (c) =>
  c.json(await listPolicies(c.var.tenantId, c.req.valid('query')), 200),
);

policyRoutes.openapi(
  getRoute({ path: '/v1/policies/{id}', what: 'policy', operationId: 'getPolicy', tag, summary: 'Get a policy', description: 'The policy with its targets.', schema: PolicySchema }),
  async (c) =>
  c.json(found(await getPolicy(c.var.tenantId, c.req.valid('param').id), 'policy'), 200),
);

policyRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/policies/{id}',
    access: 'author',
    operationId: 'updatePolicy',
    tag,
    summary: 'Update a policy',
    description:
      'Fields left out stay unchanged; `targets`, when given, replace the whole list. Agents get the new policy at their next check-in.',
    request: { params: idParam('policy'), body: jsonBody(PatchPolicySchema) },
    responses: { 200: jsonResponse(PolicySchema, 'The policy.'), ...errorResponses },
  }),
  async (c) => c.json(await patchPolicy(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);

policyRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/policies/{id}',
    access: 'author',
    operationId: 'deletePolicy',
    tag,
    summary: 'Delete a policy',
    description: 'Only a policy that no server group uses: the 409 names the groups to remove it from first. Its events stay.',
    request: { params: idParam('policy') },
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
    operationId: 'listPolicyTemplates',
    tag,
    summary: 'List policy templates',
    description:
      'Built-in starting points: `linux-recommended` (the paths Defender for Cloud recommends), `windows-recommended`, and focused ones (SSH and auth, persistence, web server, database, containers). Use one with `fromTemplate` when creating a policy.',
    responses: { 200: jsonResponse(z.array(PolicyTemplateSchema), 'Templates.'), ...errorResponses },
  }),
  (c) => c.json([...POLICY_TEMPLATES], 200),
);
