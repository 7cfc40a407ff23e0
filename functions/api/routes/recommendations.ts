import { AppliedRecommendationsSchema, RecommendationsSchema } from '../../model/recommendation.ts';
import { applyRecommendations, getRecommendations } from '../../use-cases/recommend-targets.ts';
import { ApplyRecommendationsSchema } from '../schemas/recommendation.schemas.ts';
import { errorResponses, IdParamSchema, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

/** "Scan for recommendations": template targets for the software a server runs, and applying them. */
export const recommendationRoutes = newRouter();
const tags = ['Servers'];

recommendationRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/servers/{id}/recommendations',
    access: 'read-only',
    tags,
    summary: "Template targets that apply to the software the server runs and that its group's policies do not monitor yet",
    request: { params: IdParamSchema },
    responses: { 200: jsonResponse(RecommendationsSchema, 'The recommendations, by template.'), ...errorResponses },
  }),
  async (c) => c.json(await getRecommendations(c.var.tenantId, c.req.valid('param').id), 200),
);

recommendationRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/servers/{id}/recommendations/apply',
    access: 'author',
    tags,
    summary: "Add recommended targets (all, or those named) to one of the server group's policies",
    request: { params: IdParamSchema, body: jsonBody(ApplyRecommendationsSchema) },
    responses: { 200: jsonResponse(AppliedRecommendationsSchema, 'The targets added.'), ...errorResponses },
  }),
  async (c) => c.json(await applyRecommendations(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);
