import { createRoute, z } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/problem.ts';
import { createApiKey, deleteApiKey, listApiKeys } from '../../store/api-keys.ts';
import { ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema } from '../schemas/api-key.schemas.ts';
import { errorResponses, IdParamSchema, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { tenantOf } from '../middleware/auth.ts';
import { newRouter } from '../router.ts';

export const apiKeyRoutes = newRouter();

apiKeyRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/api-keys',
    tags: ['API keys'],
    summary: 'Create an API key (admin)',
    description: 'The key is answered once; only its hash is stored.',
    request: { body: jsonBody(CreateApiKeySchema) },
    responses: { 201: jsonResponse(CreatedApiKeySchema, 'The new key, shown once.'), ...errorResponses },
  }),
  async (c) => c.json(await createApiKey(tenantOf(c.get('principal')), c.req.valid('json'), new Date()), 201),
);

apiKeyRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/api-keys',
    tags: ['API keys'],
    summary: 'List API keys (admin), without secrets',
    responses: { 200: jsonResponse(z.object({ items: z.array(ApiKeySchema), nextCursor: z.string().nullable() }), 'The keys.'), ...errorResponses },
  }),
  async (c) => c.json({ items: await listApiKeys(tenantOf(c.get('principal'))), nextCursor: null }, 200),
);

apiKeyRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/api-keys/{id}',
    tags: ['API keys'],
    summary: 'Revoke an API key (admin)',
    request: { params: IdParamSchema },
    responses: { ...noContent, ...errorResponses },
  }),
  async (c) => {
    if (!(await deleteApiKey(tenantOf(c.get('principal')), c.req.valid('param').id))) throw new NotFoundError('API key');
    return c.body(null, 204);
  },
);
