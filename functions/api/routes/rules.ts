import { z } from '@hono/zod-openapi';
import { RuleSchema } from '../../model/rule.ts';
import { getRule, pageRules } from '../../store/rules.ts';
import { cloneRule, createRule, deactivateRule, deleteRule } from '../../use-cases/manage-rules.ts';
import { importRules } from '../../use-cases/import-rules.ts';
import { CloneRuleSchema, CreateRuleSchema, RuleImportResultSchema } from '../schemas/rule.schemas.ts';
import { errorResponses, idParam, jsonBody, jsonResponse, listQuery, noContent, unsupportedMediaResponse } from '../schemas/common.schemas.ts';
import { BODY_LIMITS } from '../middleware/body-limit.ts';
import { UnsupportedMediaTypeError } from '../../shared/problem.ts';
import { found, getRoute, newRouter, route } from '../router.ts';

export const ruleRoutes = newRouter();
const tag = 'Rules';

ruleRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/rules',
    access: 'author',
    operationId: 'createRule',
    tag,
    summary: 'Create an auto-labeling rule',
    description:
      'The rule labels the events of its policy detected from now on whose every criterion holds (criteria are ANDed), as they are ingested; never events detected before. ' +
      'Rules are immutable: clone one to change it. POST /v1/events/{id}/rule-draft drafts one from an event.',
    request: { body: jsonBody(CreateRuleSchema) },
    responses: { 201: jsonResponse(RuleSchema, 'The rule.'), ...errorResponses },
  }),
  async (c) => c.json(await createRule(c.var.tenantId, c.req.valid('json'), new Date()), 201),
);

ruleRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/rules',
    access: 'read-only',
    operationId: 'listRules',
    tag,
    summary: 'List rules',
    description: 'Every rule, active or not, oldest first; optionally of one policy.',
    request: { query: listQuery(z.object({ policyId: z.string().max(64).optional().openapi({ param: { name: 'policyId', in: 'query' }, description: 'Only this policy\'s rules.' }) })) },
    responses: { 200: jsonResponse(z.object({ items: z.array(RuleSchema), nextCursor: z.string().nullable() }), 'A page of rules.'), ...errorResponses },
  }),
  async (c) => {
    const { limit, cursor, policyId } = c.req.valid('query');
    return c.json(await pageRules(c.var.tenantId, policyId, { limit, cursor }), 200);
  },
);

ruleRoutes.openapi(
  getRoute({ path: '/v1/rules/{id}', what: 'rule', operationId: 'getRule', tag, summary: 'Get a rule', description: 'The rule with its criteria, and whether it is active.', schema: RuleSchema }),
  async (c) =>
  c.json(found(await getRule(c.var.tenantId, c.req.valid('param').id), 'rule'), 200),
);

ruleRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/rules/{id}',
    access: 'admin',
    operationId: 'deleteRule',
    tag,
    summary: 'Delete a rule',
    description:
      'It labels nothing more, and the labels it applied are removed in the background, each removal recorded in the label history. ' +
      'Deleting again before that cleanup has finished answers 204 and makes sure it runs (safe to retry). To keep its labels, deactivate it instead.',
    request: { params: idParam('rule') },
    responses: { ...noContent, ...errorResponses },
  }),
  async (c) => {
    await deleteRule(c.var.tenantId, c.req.valid('param').id, new Date());
    return c.body(null, 204);
  },
);

ruleRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/rules/{id}/clone',
    access: 'author',
    operationId: 'cloneRule',
    tag,
    summary: 'Clone a rule',
    description: 'A new rule from this one with any fields overridden (`null` clears description or note); named `<name> cloned <timestamp>` unless `name` is given. The body is optional.',
    request: { params: idParam('rule'), body: { required: false, content: { 'application/json': { schema: CloneRuleSchema } } } },
    responses: { 201: jsonResponse(RuleSchema, 'The new rule.'), ...errorResponses },
  }),
  async (c) => c.json(await cloneRule(c.var.tenantId, c.req.valid('param').id, (c.req.valid('json') as z.infer<typeof CloneRuleSchema> | undefined) ?? {}, new Date()), 201),
);

ruleRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/rules/{id}/deactivate',
    access: 'author',
    operationId: 'deactivateRule',
    tag,
    summary: 'Deactivate a rule',
    description: 'The rule stops labeling events detected from now on; the labels it applied stay. Rules are immutable: clone it to have an active one again.',
    request: { params: idParam('rule') },
    responses: { 200: jsonResponse(RuleSchema, 'The rule, active false.'), ...errorResponses },
  }),
  async (c) => c.json(await deactivateRule(c.var.tenantId, c.req.valid('param').id, new Date()), 200),
);

ruleRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/rules/import',
    access: 'author',
    bodyLimit: BODY_LIMITS.imports,
    operationId: 'importRules',
    tag,
    summary: "Import rules from Tanium's rules CSV",
    description:
      'Header `name,description,note,monitor_id,label_id,field,operator,value`. A row with a name starts a rule (monitor_id: a policy id or name; label_id: a label id or name); rows with an empty name add criteria to it. Tanium field names map: file -> path, event_timestamp -> detectedAt, process, user. A rule with a bad row is skipped and reported with the line and reason; a file that cannot be read creates nothing (400).',
    request: { body: { required: true, content: { 'text/csv': { schema: z.string() } } } },
    responses: { 200: jsonResponse(RuleImportResultSchema, 'What was created and what was skipped.'), ...unsupportedMediaResponse('The body is not text/csv.'), ...errorResponses },
  }),
  async (c) => {
    if (!/^text\/csv\b/i.test(c.req.header('content-type') ?? '')) throw new UnsupportedMediaTypeError('Send the rules as text/csv.');
    return c.json(await importRules(c.var.tenantId, await c.req.text(), new Date()), 200);
  },
);
