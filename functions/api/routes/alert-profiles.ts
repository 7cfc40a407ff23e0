import { AlertProfileSchema } from '../../model/alert-profile.ts';
import { getAlertProfile, listAlertProfiles } from '../../store/alert-profiles.ts';
import { createAlertProfile } from '../../use-cases/create-alert-profile.ts';
import { deleteAlertProfile } from '../../use-cases/delete-alert-profile.ts';
import { patchAlertProfile } from '../../use-cases/patch-alert-profile.ts';
import { requestAlertTest } from '../../use-cases/request-alert-test.ts';
import { AlertTestSchema, CreateAlertProfileSchema, PatchAlertProfileSchema } from '../schemas/alert-profile.schemas.ts';
import { conflictResponse, errorResponses, IdParamSchema, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';

export const alertProfileRoutes = newRouter();
const tags = ['Alert profiles'];

alertProfileRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/alert-profiles',
    access: 'author',
    tags,
    summary: 'Create an alert profile',
    description: 'Assign it to server groups with their `alertProfileIds`: each recipient then gets one digest per scan of their servers.',
    request: { body: jsonBody(CreateAlertProfileSchema) },
    responses: { 201: jsonResponse(AlertProfileSchema, 'The alert profile.'), ...errorResponses },
  }),
  async (c) => c.json(await createAlertProfile(c.var.tenantId, c.req.valid('json'), new Date()), 201),
);

alertProfileRoutes.openapi(listRoute({ path: '/v1/alert-profiles', tags, summary: 'List alert profiles', schema: AlertProfileSchema }), async (c) =>
  c.json(await listAlertProfiles(c.var.tenantId, c.req.valid('query')), 200),
);

alertProfileRoutes.openapi(getRoute({ path: '/v1/alert-profiles/{id}', tags, summary: 'Get an alert profile', schema: AlertProfileSchema }), async (c) =>
  c.json(found(await getAlertProfile(c.var.tenantId, c.req.valid('param').id), 'alert profile'), 200),
);

alertProfileRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/alert-profiles/{id}',
    access: 'author',
    tags,
    summary: 'Update an alert profile; fields left out stay unchanged',
    request: { params: IdParamSchema, body: jsonBody(PatchAlertProfileSchema) },
    responses: { 200: jsonResponse(AlertProfileSchema, 'The alert profile.'), ...errorResponses },
  }),
  async (c) => c.json(await patchAlertProfile(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);

alertProfileRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/alert-profiles/{id}',
    access: 'admin',
    tags,
    summary: 'Delete an alert profile that no server group uses (admin)',
    request: { params: IdParamSchema },
    responses: { ...noContent, ...conflictResponse('A server group uses the profile: the answer names it.'), ...errorResponses },
  }),
  async (c) => {
    await deleteAlertProfile(c.var.tenantId, c.req.valid('param').id);
    return c.body(null, 204);
  },
);

alertProfileRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/alert-profiles/{id}/test',
    access: 'author',
    tags,
    summary: 'Send a test mail to each recipient of the profile',
    description: 'The mails go out through the alerts queue and the configured transport, as alerts do, once per recipient.',
    request: { params: IdParamSchema },
    responses: { 202: jsonResponse(AlertTestSchema, 'The test mails are on their way.'), ...errorResponses },
  }),
  async (c) => c.json(await requestAlertTest(c.var.tenantId, c.req.valid('param').id, new Date()), 202),
);
