import { NotFoundError } from '../shared/problem.ts';
import { DEFAULT_SETTINGS, type Settings } from '../model/settings.ts';
import { forgetTenant, getTenant, writeSettings, type TenantItem } from '../store/tenants.ts';

/** A settings PATCH: fields left out stay unchanged (weeklyReport merges field by field). */
export type SettingsPatch = Partial<Omit<Settings, 'weeklyReport'>> & { weeklyReport?: Partial<Settings['weeklyReport']> | undefined };

/** The settings as served (a setting added after the tenant was created shows its default). */
export const settingsOf = (tenant: TenantItem): Settings => ({ ...DEFAULT_SETTINGS, ...tenant.settings, agentCheckInIntervalSeconds: tenant.checkInIntervalSeconds });

/**
 * Applies a settings PATCH. A new weekly report time takes effect at its first occurrence after `now`, and
 * the next report covers everything since the last one (so it is longer or shorter than a week: Tanium's
 * two examples, domain/due-work.ts). Repeated if the schedule tick claims a report in between.
 */
export async function updateSettings(tenantId: string, patch: SettingsPatch, now = new Date()): Promise<Settings> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const tenant = await getTenant(tenantId);
    if (!tenant) throw new NotFoundError('tenant');
    const { agentCheckInIntervalSeconds, weeklyReport, ...rest } = patch;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    const settings = { ...tenant.settings, ...defined, weeklyReport: { ...tenant.settings.weeklyReport, ...stripUndefined(weeklyReport ?? {}) } };
    const updated = await writeSettings(tenant, { settings, checkInIntervalSeconds: agentCheckInIntervalSeconds ?? tenant.checkInIntervalSeconds }, now);
    if (!updated) continue;
    forgetTenant(tenantId);
    return settingsOf(updated);
  }
  throw new Error(`the settings of tenant ${tenantId} kept changing while they were written`);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
