import { CheckInRequestSchema, CheckInResponseSchema, EnrollRequestSchema, EnrollResponseSchema } from '../../contract/agent.schemas.ts';
import { checkIn } from '../../use-cases/check-in.ts';
import { enrollAgent } from '../../use-cases/enroll-agent.ts';
import { agentOf } from '../middleware/auth.ts';
import { errorResponses, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';
import { agentScanRoutes } from './agent-scans.ts';

/** The agent protocol (docs/protocol.md): enroll, check in, and the scan upload steps (agent-scans.ts). */
export const agentRoutes = newRouter();
const tags = ['Agent protocol'];

agentRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/enroll',
    access: 'enrollment',
    tags,
    summary: 'Enroll an agent with the tenant enrollment key; answers its own credential, once',
    description: 'The server joins the group whose `tag` equals the request tag, else the built-in Unassigned group.',
    request: { body: jsonBody(EnrollRequestSchema) },
    responses: { 201: jsonResponse(EnrollResponseSchema, 'The agent credential (stored hashed; shown once).'), ...errorResponses },
  }),
  async (c) => c.json(await enrollAgent(c.var.tenantId, c.req.valid('json'), new Date()), 201),
);

agentRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/check-in',
    access: 'agent',
    tags,
    summary: 'Heartbeat: config (when changed) and pending scans',
    request: { body: jsonBody(CheckInRequestSchema) },
    responses: { 200: jsonResponse(CheckInResponseSchema, 'What the agent should do.'), ...errorResponses },
  }),
  async (c) => c.json(await checkIn(agentOf(c.var.principal), c.req.valid('json'), new Date()), 200),
);

agentRoutes.route('/', agentScanRoutes);
