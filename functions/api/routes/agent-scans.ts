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
import { agentOf } from '../middleware/auth.ts';
import { BODY_LIMITS } from '../middleware/body-limit.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse, ProblemSchema, tooManyRequestsResponse, unsupportedMediaResponse } from '../schemas/common.schemas.ts';
import { MAX_OPEN_SCANS } from '../../domain/open-scans.ts';
import { decodeNodes, readNodesRequest } from '../agent-upload.ts';
import { newRouter, ownBodyRoute, route } from '../router.ts';

export const agentScanRoutes = newRouter();

/** Uploads to a scan that is already completed or failed are refused. */
const finishedScanConflict = conflictResponse('The scan is already completed or failed: start a new one.');
const tag = 'Agent protocol';

agentScanRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/scans',
    access: 'agent',
    operationId: 'startAgentScan',
    tag,
    summary: 'Start a scan of its own',
    description:
      'For a scan the agent decides on: on demand from its CLI (`driftwatch-agent scan`), at agent start, or for real-time changes; scheduled and requested scans come from check-in instead. ' +
      `A scan of the same kind that is still pending on this server (requested, not started) answers the request: repeating it adds nothing. A server holds at most ${MAX_OPEN_SCANS} open scans; past that the answer is 429 with Retry-After.`,
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
  route({
    method: 'get',
    path: '/v1/agent/scans/{id}',
    access: 'agent',
    operationId: 'getAgentScan',
    tag,
    summary: "Get one of this agent's scans",
    description: 'Its status and, once ingested, its change counts (the CLI waits for them to print its summary). Another server\'s scan: 404.',
    request: { params: idParam('scan') },
    responses: { 200: jsonResponse(AgentScanSchema, 'The scan.'), ...errorResponses },
  }),
  async (c) => c.json(toScan(await scanOfAgent(agentOf(c.var.principal), c.req.valid('param').id, false)), 200),
);

agentScanRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/scans/{id}/have',
    access: 'agent',
    operationId: 'findMissingNodes',
    tag,
    summary: 'Which tree nodes the server lacks',
    description: 'Of these node hashes (up to 2,000), those the server does not store yet: the agent uploads only those. Marks the scan running.',
    request: { params: idParam('scan'), body: jsonBody(HaveRequestSchema) },
    responses: { 200: jsonResponse(HaveResponseSchema, 'The missing hashes.'), ...finishedScanConflict, ...errorResponses },
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
// The route validator cannot see through gzip, so this one reads its body itself (readNodesRequest).
ownBodyRoute(agentScanRoutes, {
  method: 'post',
  path: '/v1/agent/scans/{id}/nodes',
  access: 'agent',
  bodyLimit: BODY_LIMITS.agentNodes,
  operationId: 'uploadNodes',
  tag,
  summary: 'Upload tree nodes',
  description:
    'Nodes of one policy\'s tree, bottom-up, whole or as deltas of nodes the server stores. JSON, `Content-Encoding: gzip` recommended; at most 5 MiB compressed, 16 MiB decompressed. ' +
    'Every node is checked (hashes, order, entries inside the policy\'s targets) before any is stored.',
  request: { params: idParam('scan'), body: jsonBody(NodesRequestSchema) },
  responses: {
    200: jsonResponse(NodesResponseSchema, 'Hashes of the stored nodes.'),
    ...finishedScanConflict,
    ...unsupportedMediaResponse('Not application/json, or a Content-Encoding other than gzip.'),
    ...errorResponses,
  },
}, async (c) => {
  const agent = agentOf(c.var.principal);
  const scanId = idParam('scan').safeParse({ id: c.req.param('id') });
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
    operationId: 'completeScan',
    tag,
    summary: 'Finish a scan',
    description:
      'One tree root per policy. The server compares each with the previous scan\'s and its ingest writes the events within seconds. An unchanged scan costs only this request. Repeating it is harmless. ' +
      'A 409 either lists the roots the server lacks (`missing`: upload those trees, then complete again) or says the scan already failed.',
    request: { params: idParam('scan'), body: jsonBody(CompleteRequestSchema) },
    responses: {
      200: jsonResponse(CompleteResponseSchema, 'Accepted; events follow within seconds.'),
      409: {
        description: 'Roots missing (sync those trees, then complete again), or the scan already failed.',
        content: { 'application/problem+json': { schema: ProblemSchema.extend({ missing: z.array(z.string()).optional().openapi({ description: 'The roots the server lacks.' }) }) } },
      },
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
    operationId: 'failScan',
    tag,
    summary: 'Report that a scan could not run',
    description: 'The scan becomes `failed` with the agent\'s `error`, shown in GET /v1/scans/{id}. A scan already completed, failed or delivered for ingest: 409.',
    request: { params: idParam('scan'), body: jsonBody(FailScanSchema) },
    responses: {
      200: jsonResponse(AgentScanSchema, 'The failed scan.'),
      ...conflictResponse('The scan is already completed or failed, or was delivered and its ingest completes it.'),
      ...errorResponses,
    },
  }),
  async (c) => c.json(toScan(await failScan(agentOf(c.var.principal), c.req.valid('param').id, c.req.valid('json').error, new Date())), 200),
);
