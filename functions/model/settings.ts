import { z } from '@hono/zod-openapi';
import { DayOfWeekSchema, HhMmSchema } from './enums.ts';

/** Tenant settings (CONTRACT "GET/PATCH /v1/settings"). */
export const SettingsSchema = z
  .object({
    labeledEventSyncIntervalMinutes: z.number().int(),
    weeklyReport: z.object({ dayOfWeek: DayOfWeekSchema, time: HhMmSchema }),
    eventRetentionDays: z.number().int(),
    agentCheckInIntervalSeconds: z.number().int().openapi({ description: 'How often agents check in (default 300).' }),
  })
  .openapi('Settings');
export type Settings = z.infer<typeof SettingsSchema>;

/** The stored settings (the check-in interval is kept on the tenant item itself). */
export type TenantSettings = Omit<Settings, 'agentCheckInIntervalSeconds'>;

export const DEFAULT_SETTINGS: TenantSettings = {
  labeledEventSyncIntervalMinutes: 30,
  weeklyReport: { dayOfWeek: 'sunday', time: '00:00' },
  eventRetentionDays: 90,
};

export const DEFAULT_CHECK_IN_SECONDS = 300;
