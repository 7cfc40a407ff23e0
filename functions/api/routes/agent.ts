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
const tag = 'Agent protocol';

agentRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/agent/enroll',
    access: 'enrollment',
    operationId: 'enrollAgent',
    tag,
    summary: 'Enroll an agent',
    description:
      'Registers a server with the tenant enrollment key and answers its own credential (`dwa_...`), once: the agent keeps it in its state dir and uses it from then on. ' +
      'The server joins the group whose `tag` equals the request tag, else the built-in `Unassigned` group. Each enrollment is recorded in the audit trail ' +
      '(`server.enrolled`: key generation, source address, user agent, hostname) and counts against the setting `enrollmentRateLimitPerMinute`.',
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
    operationId: 'checkIn',
    tag,
    summary: 'Check in: configuration and pending scans',
    description:
      'The agent calls it every `checkInIntervalSeconds`. It answers the policies to run only when they changed since `configVersion`, and the scans waiting for this server. A steady check-in is one read.',
    request: { body: jsonBody(CheckInRequestSchema) },
    responses: { 200: jsonResponse(CheckInResponseSchema, 'What the agent should do.'), ...errorResponses },
  }),
  async (c) => c.json(await checkIn(agentOf(c.var.principal), c.req.valid('json'), new Date()), 200),
);

agentRoutes.route('/', agentScanRoutes);
