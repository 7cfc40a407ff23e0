import { ApiKeySchema, CreatedApiKeySchema } from '../../model/api-key.ts';
import { listApiKeys } from '../../store/api-keys.ts';
import { createApiKey } from '../../use-cases/create-api-key.ts';
import { revokeApiKey } from '../../use-cases/revoke-api-key.ts';
import { CreateApiKeySchema } from '../schemas/api-key.schemas.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { callerOf } from '../request-origin.ts';
import { listRoute, newRouter, route } from '../router.ts';

export const apiKeyRoutes = newRouter();
const tag = 'API keys';

apiKeyRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/api-keys',
    access: 'admin',
    operationId: 'createApiKey',
    tag,
    summary: 'Create an API key',
    description:
      'The key (`dwk_...`) is answered once; only its hash is stored. Its role decides what it may do: `read-only` reads (not keys or settings), ' +
      '`user` also labels events, `author` also writes policies, groups, rules, labels and alert profiles and requests scans, `admin` everything.',
    request: { body: jsonBody(CreateApiKeySchema) },
    responses: { 201: jsonResponse(CreatedApiKeySchema, 'The new key, shown once.'), ...errorResponses },
  }),
  async (c) => c.json(await createApiKey(c.var.tenantId, c.req.valid('json'), callerOf(c), new Date()), 201),
);

apiKeyRoutes.openapi(
  listRoute({
    path: '/v1/api-keys',
    access: 'admin',
    operationId: 'listApiKeys',
    tag,
    summary: 'List API keys',
    description: "The tenant's keys with their names and roles, never their secrets.",
    schema: ApiKeySchema,
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid('query');
    return c.json(await listApiKeys(c.var.tenantId, { limit, cursor }), 200);
  },
);

apiKeyRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/api-keys/{id}',
    access: 'admin',
    operationId: 'revokeApiKey',
    tag,
    summary: 'Revoke an API key',
    description:
      "The key is refused (401) from the next request on; what it did stays recorded (the label history and the audit trail name its id). The tenant's last admin key cannot be revoked.",
    request: { params: idParam('API key') },
    responses: { ...noContent, ...errorResponses, ...conflictResponse("The tenant's last admin key: create another admin key first.") },
  }),
  async (c) => {
    await revokeApiKey(c.var.tenantId, c.req.valid('param').id, callerOf(c), new Date());
    return c.body(null, 204);
  },
);
