import { createRoute, z } from '@hono/zod-openapi';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/problem.ts';
import { newId } from '../../shared/ids.ts';
import type { Policy, Target } from '../../contract/policy.schemas.ts';
import { findTemplate, POLICY_TEMPLATES } from '../../domain/policy-templates.ts';
import { deletePolicy, getPolicy, listPolicies, putPolicy } from '../../store/policies.ts';
import { listGroups } from '../../store/groups.ts';
import { getServer } from '../../store/servers.ts';
import { bumpConfigVersion } from '../../store/tenants.ts';
import { PolicySchema } from '../../contract/policy.schemas.ts';
import { CreatePolicySchema, PatchPolicySchema, PolicyTemplateSchema } from '../schemas/policy.schemas.ts';
import { errorResponses, IdParamSchema, jsonBody, jsonResponse, ListQuerySchema, noContent, pageOf } from '../schemas/common.schemas.ts';
import { tenantOf } from '../middleware/auth.ts';
import { newRouter } from '../router.ts';

export const policyRoutes = newRouter();
const tags = ['Policies'];

/** Targets keep the id they were given (PATCH round-trips) and new ones get a fresh id. */
function withIds(targets: readonly (Omit<Target, 'id'> & { id?: string | undefined })[]): Target[] {
  return targets.map((t) => ({ ...t, id: t.id ?? newId('tgt') }));
}

async function mustGet(tenantId: string, id: string): Promise<Policy> {
  const policy = await getPolicy(tenantId, id);
  if (!policy) throw new NotFoundError('policy');
  return policy;
}

async function validateBaselineServer(tenantId: string, baselineServerId: string | null) {
  if (baselineServerId && !(await getServer(tenantId, baselineServerId))) {
    throw new ValidationError('Unknown baseline server.', [{ path: 'baselineServerId', message: `no server ${baselineServerId}` }]);
  }
}

function validateTargets(targets: readonly Target[]) {
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (seen.has(t.path)) throw new ValidationError('Duplicate target path.', [{ path: `targets.${i}.path`, message: `${t.path} is already a target` }]);
    seen.add(t.path);
  });
}

policyRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/policies',
    tags,
    summary: 'Create a policy (optionally from a template)',
    request: { body: jsonBody(CreatePolicySchema) },
    responses: { 201: jsonResponse(PolicySchema, 'The policy.'), ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const { fromTemplate, targets, ...input } = c.req.valid('json');
    const template = fromTemplate ? findTemplate(fromTemplate) : undefined;
    if (fromTemplate && !template) throw new ValidationError('Unknown template.', [{ path: 'fromTemplate', message: `no template ${fromTemplate}` }]);
    await validateBaselineServer(tenantId, input.baselineServerId);
    const now = new Date().toISOString();
    const policy: Policy = { id: newId('pol'), ...input, targets: withIds([...(template?.targets ?? []), ...targets]), createdAt: now, updatedAt: now };
    validateTargets(policy.targets);
    await putPolicy(tenantId, policy);
    return c.json(policy, 201);
  },
);

policyRoutes.openapi(
  createRoute({ method: 'get', path: '/v1/policies', tags, summary: 'List policies', request: { query: ListQuerySchema }, responses: { 200: jsonResponse(pageOf(PolicySchema), 'Policies.'), ...errorResponses } }),
  async (c) => c.json(await listPolicies(tenantOf(c.get('principal')), c.req.valid('query')), 200),
);

policyRoutes.openapi(
  createRoute({ method: 'get', path: '/v1/policies/{id}', tags, summary: 'Get a policy', request: { params: IdParamSchema }, responses: { 200: jsonResponse(PolicySchema, 'The policy.'), ...errorResponses } }),
  async (c) => c.json(await mustGet(tenantOf(c.get('principal')), c.req.valid('param').id), 200),
);

policyRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/v1/policies/{id}',
    tags,
    summary: 'Update a policy; fields left out stay unchanged (targets, when given, replace the list)',
    request: { params: IdParamSchema, body: jsonBody(PatchPolicySchema) },
    responses: { 200: jsonResponse(PolicySchema, 'The policy.'), ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const current = await mustGet(tenantId, c.req.valid('param').id);
    const { targets, description, ...patch } = c.req.valid('json');
    const next: Policy = { ...current, updatedAt: new Date().toISOString() };
    for (const [field, value] of Object.entries(patch)) if (value !== undefined) (next as Record<string, unknown>)[field] = value;
    if (description === null) delete next.description;
    else if (description !== undefined) next.description = description;
    if (targets) next.targets = withIds(targets);
    validateTargets(next.targets);
    await validateBaselineServer(tenantId, next.baselineServerId);
    await putPolicy(tenantId, next);
    await bumpConfigVersion(tenantId);
    return c.json(next, 200);
  },
);

policyRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/policies/{id}',
    tags,
    summary: 'Delete a policy that no server group uses',
    request: { params: IdParamSchema },
    responses: { ...noContent, ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const id = c.req.valid('param').id;
    await mustGet(tenantId, id);
    const users = (await listGroups(tenantId)).filter((g) => g.policyIds.includes(id));
    if (users.length) throw new ConflictError(`The policy is used by server group(s) ${users.map((g) => g.id).join(', ')}; remove it there first.`);
    if (!(await deletePolicy(tenantId, id))) throw new NotFoundError('policy');
    await bumpConfigVersion(tenantId);
    return c.body(null, 204);
  },
);

policyRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/policy-templates',
    tags,
    summary: 'Built-in policy templates (recommended paths per platform)',
    responses: { 200: jsonResponse(z.array(PolicyTemplateSchema), 'Templates.'), ...errorResponses },
  }),
  (c) => c.json([...POLICY_TEMPLATES], 200),
);
