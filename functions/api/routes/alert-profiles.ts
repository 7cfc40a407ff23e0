import { AlertProfileSchema } from '../../model/alert-profile.ts';
import { getAlertProfile, listAlertProfiles } from '../../store/alert-profiles.ts';
import { createAlertProfile } from '../../use-cases/create-alert-profile.ts';
import { deleteAlertProfile } from '../../use-cases/delete-alert-profile.ts';
import { patchAlertProfile } from '../../use-cases/patch-alert-profile.ts';
import { requestAlertTest } from '../../use-cases/request-alert-test.ts';
import { AlertTestSchema, CreateAlertProfileSchema, PatchAlertProfileSchema } from '../schemas/alert-profile.schemas.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';

export const alertProfileRoutes = newRouter();
const tag = 'Alert profiles';

alertProfileRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/alert-profiles',
    access: 'author',
    operationId: 'createAlertProfile',
    tag,
    summary: 'Create an alert profile',
    description: 'Assign it to server groups with their `alertProfileIds`: each recipient then gets one digest per scan of their servers.',
    request: { body: jsonBody(CreateAlertProfileSchema) },
    responses: { 201: jsonResponse(AlertProfileSchema, 'The alert profile.'), ...errorResponses },
  }),
  async (c) => c.json(await createAlertProfile(c.var.tenantId, c.req.valid('json'), new Date()), 201),
);

alertProfileRoutes.openapi(
  listRoute({ path: '/v1/alert-profiles', operationId: 'listAlertProfiles', tag, summary: 'List alert profiles', description: 'Every alert profile of the tenant.', schema: AlertProfileSchema }),
  async (c) =>
  c.json(await listAlertProfiles(c.var.tenantId, c.req.valid('query')), 200),
);

alertProfileRoutes.openapi(
  getRoute({
    path: '/v1/alert-profiles/{id}',
    what: 'alert profile',
    operationId: 'getAlertProfile',
    tag,
    summary: 'Get an alert profile',
    description: 'Its recipients and the severities it mails about.',
    schema: AlertProfileSchema,
  }),
  async (c) =>
  c.json(found(await getAlertProfile(c.var.tenantId, c.req.valid('param').id), 'alert profile'), 200),
);

alertProfileRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/alert-profiles/{id}',
    access: 'author',
    operationId: 'updateAlertProfile',
    tag,
    summary: 'Update an alert profile',
    description: 'Fields left out stay unchanged; `recipients` and `severities`, when given, replace the lists.',
    request: { params: idParam('alert profile'), body: jsonBody(PatchAlertProfileSchema) },
    responses: { 200: jsonResponse(AlertProfileSchema, 'The alert profile.'), ...errorResponses },
  }),
  async (c) => c.json(await patchAlertProfile(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), new Date()), 200),
);

alertProfileRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/alert-profiles/{id}',
    access: 'admin',
    operationId: 'deleteAlertProfile',
    tag,
    summary: 'Delete an alert profile',
    description: 'Only a profile that no server group uses: the 409 names the groups whose `alertProfileIds` hold it.',
    request: { params: idParam('alert profile') },
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
    operationId: 'testAlertProfile',
    tag,
    summary: 'Send a test mail to each recipient of the profile',
    description: 'The mails go out through the alerts queue and the configured transport, as alerts do, once per recipient.',
    request: { params: idParam('alert profile') },
    responses: { 202: jsonResponse(AlertTestSchema, 'The test mails are on their way.'), ...errorResponses },
  }),
  async (c) => c.json(await requestAlertTest(c.var.tenantId, c.req.valid('param').id, new Date()), 202),
);
