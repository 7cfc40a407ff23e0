import { createRoute } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/problem.ts';
import { getTenant, updateTenantSettings, type TenantItem } from '../../store/tenants.ts';
import { PatchSettingsSchema, SettingsSchema } from '../schemas/settings.schemas.ts';
import { errorResponses, jsonBody, jsonResponse } from '../schemas/common.schemas.ts';
import { tenantOf } from '../middleware/auth.ts';
import { newRouter } from '../router.ts';

export const settingsRoutes = newRouter();
const tags = ['Settings'];

const toSettings = (tenant: TenantItem) => ({ ...tenant.settings, agentCheckInIntervalSeconds: tenant.checkInIntervalSeconds });

settingsRoutes.openapi(
  createRoute({ method: 'get', path: '/v1/settings', tags, summary: 'Tenant settings (admin)', responses: { 200: jsonResponse(SettingsSchema, 'Settings.'), ...errorResponses } }),
  async (c) => {
    const tenant = await getTenant(tenantOf(c.get('principal')));
    if (!tenant) throw new NotFoundError('tenant');
    return c.json(toSettings(tenant) as never, 200);
  },
);

settingsRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/v1/settings',
    tags,
    summary: 'Change tenant settings (admin); fields left out stay unchanged',
    request: { body: jsonBody(PatchSettingsSchema) },
    responses: { 200: jsonResponse(SettingsSchema, 'Settings.'), ...errorResponses },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const tenant = await getTenant(tenantId);
    if (!tenant) throw new NotFoundError('tenant');
    const { agentCheckInIntervalSeconds, weeklyReport, ...rest } = c.req.valid('json');
    const settings = { ...tenant.settings, ...rest, weeklyReport: { ...tenant.settings.weeklyReport, ...weeklyReport } };
    const updated = await updateTenantSettings(tenantId, settings as TenantItem['settings'], agentCheckInIntervalSeconds ?? tenant.checkInIntervalSeconds);
    return c.json(toSettings(updated) as never, 200);
  },
);
