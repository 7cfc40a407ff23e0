import { NotFoundError } from '../../shared/problem.ts';
import { SettingsSchema } from '../../model/settings.ts';
import { getTenant } from '../../store/tenants.ts';
import { settingsOf, updateSettings } from '../../use-cases/update-settings.ts';
import { PatchSettingsSchema } from '../schemas/settings.schemas.ts';
import { errorResponses, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

export const settingsRoutes = newRouter();
const tag = 'Settings';

settingsRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/settings',
    access: 'admin',
    operationId: 'getSettings',
    tag,
    summary: 'Get the tenant settings',
    description: 'Every setting with its current value (the defaults until changed).',
    responses: { 200: jsonResponse(SettingsSchema, 'Settings.'), ...errorResponses },
  }),
  async (c) => {
    const tenant = await getTenant(c.var.tenantId);
    if (!tenant) throw new NotFoundError('tenant');
    return c.json(settingsOf(tenant), 200);
  },
);

settingsRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/settings',
    access: 'admin',
    operationId: 'updateSettings',
    tag,
    summary: 'Change the tenant settings',
    description: 'Fields left out stay unchanged (in `weeklyReport` too). A new `agentCheckInIntervalSeconds` reaches each agent at its next check-in.',
    request: { body: jsonBody(PatchSettingsSchema) },
    responses: { 200: jsonResponse(SettingsSchema, 'Settings.'), ...errorResponses },
  }),
  async (c) => c.json(await updateSettings(c.var.tenantId, c.req.valid('json'), new Date()), 200),
);
