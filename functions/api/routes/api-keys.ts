import { ApiKeySchema, CreatedApiKeySchema } from '../../model/api-key.ts';
import { listApiKeys } from '../../store/api-keys.ts';
import { createApiKey } from '../../use-cases/create-api-key.ts';
import { revokeApiKey } from '../../use-cases/revoke-api-key.ts';
import { CreateApiKeySchema } from '../schemas/api-key.schemas.ts';
import { conflictResponse, errorResponses, IdParamSchema, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { callerOf } from '../request-origin.ts';
import { listRoute, newRouter, route } from '../router.ts';

export const apiKeyRoutes = newRouter();
const tags = ['API keys'];

apiKeyRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/api-keys',
    access: 'admin',
    tags,
    summary: 'Create an API key (admin)',
    description: 'The key is answered once; only its hash is stored.',
    request: { body: jsonBody(CreateApiKeySchema) },
    responses: { 201: jsonResponse(CreatedApiKeySchema, 'The new key, shown once.'), ...errorResponses },
  }),
  async (c) => c.json(await createApiKey(c.var.tenantId, c.req.valid('json'), callerOf(c), new Date()), 201),
);

apiKeyRoutes.openapi(
  listRoute({ path: '/v1/api-keys', access: 'admin', tags, summary: 'List API keys (admin), without secrets', schema: ApiKeySchema }),
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
    tags,
    summary: 'Revoke an API key (admin); the tenant\'s last admin key cannot be revoked',
    request: { params: IdParamSchema },
    responses: { ...noContent, ...errorResponses, ...conflictResponse('The tenant\'s last admin key: create another admin key first.') },
  }),
  async (c) => {
    await revokeApiKey(c.var.tenantId, c.req.valid('param').id, callerOf(c), new Date());
    return c.body(null, 204);
  },
);
