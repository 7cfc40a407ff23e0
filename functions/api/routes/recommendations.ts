import { AppliedRecommendationsSchema, RecommendationsSchema } from '../../model/recommendation.ts';
import { applyRecommendations, getRecommendations } from '../../use-cases/recommend-targets.ts';
import { ApplyRecommendationsSchema } from '../schemas/recommendation.schemas.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

/** "Scan for recommendations": template targets for the software a server runs, and applying them. */
export const recommendationRoutes = newRouter();
const tag = 'Servers';

recommendationRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/servers/{id}/recommendations',
    access: 'read-only',
    operationId: 'getServerRecommendations',
    tag,
    summary: 'Recommended targets for a server',
    description:
      "Template targets that apply to the software the server's agent reported (sshd, cron, nginx, ...) and that its group's policies do not monitor yet, by template. " +
      'Apply them with POST /v1/servers/{id}/recommendations/apply.',
    request: { params: idParam('server') },
    responses: { 200: jsonResponse(RecommendationsSchema, 'The recommendations, by template.'), ...errorResponses },
  }),
  async (c) => c.json(await getRecommendations(c.var.tenantId, c.req.valid('param').id), 200),
);

recommendationRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/servers/{id}/recommendations/apply',
    access: 'author',
    operationId: 'applyServerRecommendations',
    tag,
    summary: 'Apply recommended targets',
    description:
      "Adds the recommended targets (all, or those whose paths `targetPaths` names) to one of the server group's policies, which must keep within 500 targets.",
    request: { params: idParam('server'), body: jsonBody(ApplyRecommendationsSchema) },
    responses: { 200: jsonResponse(AppliedRecommendationsSchema, 'The targets added.'), ...conflictResponse('The policy kept changing while the targets were added: try again.'), ...errorResponses },
  }),
  async (c) => c.json(await applyRecommendations(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);
