import { CheckInRequestSchema, CheckInResponseSchema, EnrollRequestSchema, EnrollResponseSchema } from '../../contract/agent.schemas.ts';
import { checkIn } from '../../use-cases/check-in.ts';
import { enrollAgent } from '../../use-cases/enroll-agent.ts';
import { agentOf, enrollingTenantOf } from '../middleware/auth.ts';
import { callerOf } from '../request-origin.ts';
import { errorResponses, jsonBody, jsonResponse, tooManyRequestsResponse } from '../schemas/common.schemas.ts';
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
    description:
      'The server joins the group whose `tag` equals the request tag, else the built-in Unassigned group. Each enrollment is recorded in the audit trail (`server.enrolled`: key generation, source address, user agent, hostname) and counts against the setting `enrollmentRateLimitPerMinute`.',
    request: { body: jsonBody(EnrollRequestSchema) },
    responses: {
      201: jsonResponse(EnrollResponseSchema, 'The agent credential (stored hashed; shown once).'),
      ...errorResponses,
      ...tooManyRequestsResponse('More enrollments this minute than the tenant allows (`enrollmentRateLimitPerMinute`).'),
    },
  }),
  async (c) => c.json(await enrollAgent(enrollingTenantOf(c.var.principal), c.req.valid('json'), callerOf(c), new Date()), 201),
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
