import { NotFoundError } from '../shared/problem.ts';
import { DEFAULT_SETTINGS, type Settings } from '../model/settings.ts';
import { forgetTenant, getTenant, tenants, type TenantItem } from '../store/tenants.ts';

/** A settings PATCH: fields left out stay unchanged (weeklyReport merges field by field). */
export type SettingsPatch = Partial<Omit<Settings, 'weeklyReport'>> & { weeklyReport?: Partial<Settings['weeklyReport']> | undefined };

/** The settings as served (a setting added after the tenant was created shows its default). */
export const settingsOf = (tenant: TenantItem): Settings => ({ ...DEFAULT_SETTINGS, ...tenant.settings, agentCheckInIntervalSeconds: tenant.checkInIntervalSeconds });

export async function updateSettings(tenantId: string, patch: SettingsPatch): Promise<Settings> {
  const tenant = await getTenant(tenantId);
  if (!tenant) throw new NotFoundError('tenant');
  const { agentCheckInIntervalSeconds, weeklyReport, ...rest } = patch;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const settings = { ...tenant.settings, ...defined, weeklyReport: { ...tenant.settings.weeklyReport, ...stripUndefined(weeklyReport ?? {}) } };
  const updated = await tenants.update(tenantId, tenantId, { set: { settings, checkInIntervalSeconds: agentCheckInIntervalSeconds ?? tenant.checkInIntervalSeconds } });
  if (!updated) throw new NotFoundError('tenant');
  forgetTenant(tenantId);
  return settingsOf(updated);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
