import { z } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../../shared/problem.ts';
import {
  AgentScanSchema,
  CompleteRequestSchema,
  CompleteResponseSchema,
  CreateAgentScanSchema,
  FailScanSchema,
  HaveRequestSchema,
  HaveResponseSchema,
  NodesRequestSchema,
  NodesResponseSchema,
} from '../../contract/agent.schemas.ts';
import { existingNodes, storeNodes } from '../../store/nodes.ts';
import { toScan } from '../../store/scans.ts';
import { markScanRunning, policiesOfAgent, scanOfAgent } from '../../use-cases/agent-scan-access.ts';
import { completeScan } from '../../use-cases/complete-scan.ts';
import { failScan } from '../../use-cases/fail-scan.ts';
import { startAgentScan } from '../../use-cases/start-agent-scan.ts';
import { agentOf, authorize } from '../middleware/auth.ts';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.ts';
import { errorResponses, IdParamSchema, jsonBody, jsonResponse, tooManyRequestsResponse } from '../schemas/common.schemas.ts';
import { MAX_OPEN_SCANS } from '../../domain/open-scans.ts';
import { decodeNodes, readNodesRequest } from '../agent-upload.ts';
import { declareRoute, newRouter, route } from '../router.ts';

export const agentScanRoutes = newRouter();
const tags = ['Agent protocol'];

agentScanRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/scans',
    access: 'agent',
    tags,
    summary: 'The agent starts a scan of its own (on demand from its CLI, at start, or for real-time changes)',
    description: `A scan of the same kind that is still pending on this server (requested, not started) answers the request: repeating it adds nothing. A server holds at most ${MAX_OPEN_SCANS} open scans; past that the answer is 429 with Retry-After.`,
    request: { body: jsonBody(CreateAgentScanSchema) },
    responses: {
      201: jsonResponse(AgentScanSchema, 'The scan: a new one, or the pending one of that kind.'),
      ...errorResponses,
      ...tooManyRequestsResponse(`The server already holds ${MAX_OPEN_SCANS} open scans.`),
    },
  }),
  async (c) => c.json(toScan(await startAgentScan(agentOf(c.var.principal), c.req.valid('json').kind, new Date())), 201),
);

agentScanRoutes.openapi(
  route({ method: 'get', path: '/v1/agent/scans/{id}', access: 'agent', tags, summary: 'One of this agent\'s scans', request: { params: IdParamSchema }, responses: { 200: jsonResponse(AgentScanSchema, 'The scan.'), ...errorResponses } }),
  async (c) => c.json(toScan(await scanOfAgent(agentOf(c.var.principal), c.req.valid('param').id, false)), 200),
);

agentScanRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/scans/{id}/have',
    access: 'agent',
    tags,
    summary: 'Which of these tree node hashes the server lacks',
    request: { params: IdParamSchema, body: jsonBody(HaveRequestSchema) },
    responses: { 200: jsonResponse(HaveResponseSchema, 'The missing hashes.'), ...errorResponses },
  }),
  async (c) => {
    const agent = agentOf(c.var.principal);
    const scan = await scanOfAgent(agent, c.req.valid('param').id);
    await markScanRunning(agent.tenantId, scan, new Date());
    const { hashes } = c.req.valid('json');
    const present = await existingNodes(agent.tenantId, hashes);
    return c.json({ missing: hashes.filter((h) => !present.has(h)) }, 200);
  },
);

/** Tree nodes, bottom-up, whole or as deltas of stored nodes; all checked before anything is stored (agent-upload.ts). */
agentScanRoutes.openAPIRegistry.registerPath({
  method: 'post',
  path: '/v1/agent/scans/{id}/nodes',
  tags,
  security: [{ bearer: [] }],
  summary: 'Upload tree nodes, whole or as deltas of stored nodes (JSON, `Content-Encoding: gzip` recommended; 5 MiB compressed, 16 MiB decompressed)',
  request: { params: IdParamSchema, body: jsonBody(NodesRequestSchema) },
  responses: { 200: jsonResponse(NodesResponseSchema, 'Hashes of the stored nodes.'), ...errorResponses },
});
// The route validator cannot see through gzip, so this one reads its body itself (readNodesRequest).
declareRoute('post', '/v1/agent/scans/{id}/nodes');
agentScanRoutes.post('/v1/agent/scans/:id/nodes', limitBody(BODY_LIMITS.agentNodes), authorize('agent'), async (c) => {
  const agent = agentOf(c.var.principal);
  const scanId = IdParamSchema.safeParse({ id: c.req.param('id') });
  if (!scanId.success) throw new NotFoundError('scan');
  const upload = await readNodesRequest(c);
  const scan = await scanOfAgent(agent, scanId.data.id);
  const policy = (await policiesOfAgent(agent)).get(upload.policyId);
  if (!policy) throw new ValidationError('The policy is not one this server runs.', [{ path: 'policyId', message: `unknown policy ${upload.policyId}` }]);
  const inRequest = await decodeNodes(agent.tenantId, policy, upload, agent.server.platform);
  await markScanRunning(agent.tenantId, scan, new Date());
  await storeNodes(agent.tenantId, [...inRequest.values()]);
  return c.json({ stored: [...inRequest.keys()] }, 200);
});

agentScanRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/scans/{id}/complete',
    access: 'agent',
    tags,
    summary: 'Finish a scan with one tree root per policy; 409 lists the roots the server lacks',
    description: 'An unchanged scan costs only this request. Repeating it is harmless.',
    request: { params: IdParamSchema, body: jsonBody(CompleteRequestSchema) },
    responses: {
      200: jsonResponse(CompleteResponseSchema, 'Accepted; events follow within seconds.'),
      409: { description: 'Roots missing: sync those trees, then complete again.', content: { 'application/problem+json': { schema: z.object({ missing: z.array(z.string()) }) } } },
      ...errorResponses,
    },
  }),
  async (c) => c.json(await completeScan(agentOf(c.var.principal), c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);

agentScanRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/scans/{id}/fail',
    access: 'agent',
    tags,
    summary: 'The agent could not run the scan',
    request: { params: IdParamSchema, body: jsonBody(FailScanSchema) },
    responses: { 200: jsonResponse(AgentScanSchema, 'The failed scan.'), ...errorResponses },
  }),
  async (c) => c.json(toScan(await failScan(agentOf(c.var.principal), c.req.valid('param').id, c.req.valid('json').error, new Date())), 200),
);
