import { NotFoundError } from '../../shared/problem.ts';
import { SettingsSchema } from '../../model/settings.ts';
import { getTenant } from '../../store/tenants.ts';
import { settingsOf, updateSettings } from '../../use-cases/update-settings.ts';
import { PatchSettingsSchema } from '../schemas/settings.schemas.ts';
import { errorResponses, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

export const settingsRoutes = newRouter();
const tags = ['Settings'];

settingsRoutes.openapi(
  route({ method: 'get', path: '/v1/settings', access: 'admin', tags, summary: 'Tenant settings (admin)', responses: { 200: jsonResponse(SettingsSchema, 'Settings.'), ...errorResponses } }),
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
    tags,
    summary: 'Change tenant settings (admin); fields left out stay unchanged',
    request: { body: jsonBody(PatchSettingsSchema) },
    responses: { 200: jsonResponse(SettingsSchema, 'Settings.'), ...errorResponses },
  }),
  async (c) => c.json(await updateSettings(c.var.tenantId, c.req.valid('json'), new Date()), 200),
);
