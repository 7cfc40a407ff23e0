import { createRoute, z } from '@hono/zod-openapi';
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../shared/problem.ts';
import { enqueue } from '../../queues/enqueue.ts';
import { scanIngestQueue } from '../../queues/queues.ts';
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
import type { Policy } from '../../contract/policy.schemas.ts';
import { getGroup } from '../../store/groups.ts';
import { getPolicies } from '../../store/policies.ts';
import { existingNodes, storeNodes } from '../../store/nodes.ts';
import { requestScan } from '../../store/scan-requests.ts';
import { finishScan, getScan, markScanRunning, recordScanResults, toScan, type ScanItem } from '../../store/scans.ts';
import { removePendingScan } from '../../store/servers.ts';
import { errorResponses, IdParamSchema, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import type { Principal } from '../middleware/auth.ts';
import { decodeNodes, readNodesRequest } from '../agent-upload.ts';
import { newRouter } from '../router.ts';

export const agentScanRoutes = newRouter();
const tags = ['Agent protocol'];

type AgentPrincipal = Extract<Principal, { kind: 'agent' }>;

function agentOf(principal: Principal): AgentPrincipal {
  if (principal.kind !== 'agent') throw new ForbiddenError();
  return principal;
}

/** The scan, if it belongs to this very server (another server's scan id is a 404, as if absent). */
async function scanOf(agent: AgentPrincipal, scanId: string, open = true): Promise<ScanItem> {
  const scan = await getScan(agent.tenantId, scanId);
  if (!scan || scan.serverId !== agent.serverId) throw new NotFoundError('scan');
  if (open && (scan.status === 'completed' || scan.status === 'failed')) throw new ConflictError(`The scan is already ${scan.status}.`);
  return scan;
}

/** The policies this server runs (its group's), by id. */
async function policiesOf(agent: AgentPrincipal): Promise<Map<string, Policy>> {
  const group = await getGroup(agent.tenantId, agent.server.groupId);
  const policies = await getPolicies(agent.tenantId, group?.policyIds ?? []);
  return new Map(policies.map((p) => [p.id, p]));
}

agentScanRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/agent/scans',
    tags,
    summary: 'The agent starts a scan of its own (on demand from its CLI, at start, or for real-time changes)',
    request: { body: jsonBody(CreateAgentScanSchema) },
    responses: { 201: jsonResponse(AgentScanSchema, 'The scan.'), ...errorResponses },
  }),
  async (c) => {
    const agent = agentOf(c.get('principal'));
    const scan = await requestScan(agent.tenantId, agent.serverId, c.req.valid('json').kind, new Date());
    if (!scan) throw new NotFoundError('active server');
    return c.json(toScan(scan), 201);
  },
);

agentScanRoutes.openapi(
  createRoute({ method: 'get', path: '/v1/agent/scans/{id}', tags, summary: 'One of this agent\'s scans', request: { params: IdParamSchema }, responses: { 200: jsonResponse(AgentScanSchema, 'The scan.'), ...errorResponses } }),
  async (c) => c.json(toScan(await scanOf(agentOf(c.get('principal')), c.req.valid('param').id, false)), 200),
);

agentScanRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/agent/scans/{id}/have',
    tags,
    summary: 'Which of these tree node hashes the server lacks',
    request: { params: IdParamSchema, body: jsonBody(HaveRequestSchema) },
    responses: { 200: jsonResponse(HaveResponseSchema, 'The missing hashes.'), ...errorResponses },
  }),
  async (c) => {
    const agent = agentOf(c.get('principal'));
    const scan = await scanOf(agent, c.req.valid('param').id);
    if (scan.status === 'pending') await markScanRunning(agent.tenantId, scan.id, new Date());
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
  summary: 'Upload tree nodes, whole or as deltas of stored nodes (JSON, `Content-Encoding: gzip` recommended; 5 MiB compressed, 16 MiB decompressed)',
  request: { params: IdParamSchema, body: jsonBody(NodesRequestSchema) },
  responses: { 200: jsonResponse(NodesResponseSchema, 'Hashes of the stored nodes.'), ...errorResponses },
});
agentScanRoutes.post('/v1/agent/scans/:id/nodes', async (c) => {
  const agent = agentOf(c.get('principal'));
  const scanId = IdParamSchema.safeParse({ id: c.req.param('id') });
  if (!scanId.success) throw new NotFoundError('scan');
  const upload = await readNodesRequest(c);
  const scan = await scanOf(agent, scanId.data.id);
  const policy = (await policiesOf(agent)).get(upload.policyId);
  if (!policy) throw new ValidationError('The policy is not one this server runs.', [{ path: 'policyId', message: `unknown policy ${upload.policyId}` }]);

  const inRequest = await decodeNodes(agent.tenantId, policy, upload);
  if (scan.status === 'pending') await markScanRunning(agent.tenantId, scan.id, new Date());
  await storeNodes(agent.tenantId, [...inRequest.values()]);
  return c.json({ stored: [...inRequest.keys()] }, 200);
});

agentScanRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/agent/scans/{id}/complete',
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
  async (c) => {
    const agent = agentOf(c.get('principal'));
    const scan = await scanOf(agent, c.req.valid('param').id, false);
    if (scan.status === 'completed') return c.json({ scanId: scan.id, status: scan.status }, 200);
    if (scan.status === 'failed') throw new ConflictError('The scan already failed; start a new one.');
    const { results, scannedAt } = c.req.valid('json');
    const policies = await policiesOf(agent);
    const seen = new Set<string>();
    results.forEach((r, i) => {
      if (!policies.has(r.policyId) || seen.has(r.policyId)) {
        throw new ValidationError('Each result must name a distinct policy this server runs.', [{ path: `results.${i}.policyId`, message: `unexpected policy ${r.policyId}` }]);
      }
      seen.add(r.policyId);
    });
    const present = await existingNodes(agent.tenantId, results.map((r) => r.root));
    const missing = results.map((r) => r.root).filter((root) => !present.has(root));
    if (missing.length) {
      const problem = new AppError(409, 'roots-missing', 'Tree not uploaded', 'The server lacks these roots; sync them and complete again.');
      return c.body(JSON.stringify({ ...problem.toProblem(), missing }), 409, { 'content-type': 'application/problem+json' }) as never;
    }
    const now = new Date();
    const detectedAt = scannedAt && Date.parse(scannedAt) <= now.getTime() ? new Date(scannedAt).toISOString() : now.toISOString();
    if (!(await recordScanResults(agent.tenantId, scan.id, results, detectedAt, now))) {
      const latest = await scanOf(agent, scan.id, false);
      return c.json({ scanId: latest.id, status: latest.status }, 200);
    }
    await enqueue(scanIngestQueue, { tenantId: agent.tenantId, scanId: scan.id });
    // Out of the inbox now, so the next check-in does not offer a scan the agent already delivered.
    await removePendingScan(agent.tenantId, agent.serverId, scan.id);
    return c.json({ scanId: scan.id, status: 'running' }, 200);
  },
);

agentScanRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/agent/scans/{id}/fail',
    tags,
    summary: 'The agent could not run the scan',
    request: { params: IdParamSchema, body: jsonBody(FailScanSchema) },
    responses: { 200: jsonResponse(AgentScanSchema, 'The failed scan.'), ...errorResponses },
  }),
  async (c) => {
    const agent = agentOf(c.get('principal'));
    const scan = await scanOf(agent, c.req.valid('param').id);
    await finishScan(agent.tenantId, scan.id, { status: 'failed', error: c.req.valid('json').error }, new Date());
    await removePendingScan(agent.tenantId, agent.serverId, scan.id);
    return c.json(toScan(await scanOf(agent, scan.id, false)), 200);
  },
);
