import { createRoute } from '@hono/zod-openapi';
import { ForbiddenError } from '../../shared/problem.ts';
import { newId, newSecret } from '../../shared/ids.ts';
import { hashSecret } from '../../shared/secrets.ts';
import { EnrollRequestSchema, EnrollResponseSchema } from '../../contract/agent.schemas.ts';
import { listGroups, UNASSIGNED_GROUP_ID } from '../../store/groups.ts';
import { createServer } from '../../store/servers.ts';
import { errorResponses, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter } from '../router.ts';

export const agentEnrollRoutes = newRouter();

agentEnrollRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/agent/enroll',
    tags: ['Agent protocol'],
    summary: 'Enroll an agent with the tenant enrollment key; answers its own credential, once',
    description: 'The server joins the group whose `tag` equals the request tag, else the built-in Unassigned group.',
    request: { body: jsonBody(EnrollRequestSchema) },
    responses: { 201: jsonResponse(EnrollResponseSchema, 'The agent credential (stored hashed; shown once).'), ...errorResponses },
  }),
  async (c) => {
    const principal = c.get('principal');
    if (principal.kind !== 'enrollment') throw new ForbiddenError();
    const tenantId = principal.tenant.id;
    const input = c.req.valid('json');
    const now = new Date();
    const group = input.tag ? (await listGroups(tenantId)).find((g) => g.tag === input.tag) : undefined;
    const serverId = newId('srv', now);
    const secret = newSecret(32);
    await createServer(tenantId, {
      id: serverId,
      hostname: input.hostname,
      platform: input.platform,
      agentVersion: input.agentVersion,
      groupId: group?.id ?? UNASSIGNED_GROUP_ID,
      tags: input.tag ? [input.tag] : [],
      state: 'active',
      lastSeenAt: now.toISOString(),
      enrolledAt: now.toISOString(),
      fimState: 'inherit',
      secretHash: hashSecret(secret),
      pendingScans: {},
    });
    return c.json({ serverId, tenantId, credential: `dwa_${tenantId}.${serverId}.${secret}` }, 201);
  },
);
