import { z } from '@hono/zod-openapi';
import { DEFAULT_ALERT_MAILS_PER_PROFILE_PER_HOUR } from '../domain/alert-timing.ts';
import { DayOfWeekSchema, HhMmSchema } from './enums.ts';
import { DEFAULT_EVENT_RETENTION_DAYS } from '../domain/retention.ts';

/** What `eventRetentionDays` does, for the API docs of both the served and the PATCH shape. */
export const RETENTION_DESCRIPTION =
  'Days an event is kept after it was detected (default 90); older events are no longer listed or served, and are deleted. ' +
  'Each event gets its expiry when it is stored, so a change applies to events stored afterwards: events already stored keep theirs. ' +
  'The dashboard counts are not affected.';

/** What `weeklyReport` does, for the API docs of both the served and the PATCH shape. */
export const WEEKLY_REPORT_DESCRIPTION =
  'When (UTC) the weekly report of each policy with `reports: true` is written (default Sunday 00:00). A new time takes effect at its ' +
  'first occurrence after the change, and that report covers everything since the previous one, so it spans more or less than a week: ' +
  'moved from Sunday to Wednesday on a Tuesday, the Wednesday report covers 3 days; on a Thursday, 10.';

/** Tenant settings (CONTRACT "GET/PATCH /v1/settings"). */
export const SettingsSchema = z
  .object({
    labeledEventSyncIntervalMinutes: z.number().int(),
    weeklyReport: z.object({ dayOfWeek: DayOfWeekSchema, time: HhMmSchema }).openapi({ description: WEEKLY_REPORT_DESCRIPTION }),
    eventRetentionDays: z.number().int().openapi({ description: RETENTION_DESCRIPTION }),
    agentCheckInIntervalSeconds: z.number().int().openapi({ description: 'How often agents check in (default 300).' }),
    alertMailsPerProfilePerHour: z.number().int().openapi({
      description: 'Flood control: digests one alert profile mails per hour (default 20); the rest is held back and summed up in its next mail.',
    }),
    enrollmentRateLimitPerMinute: z
      .number()
      .int()
      .openapi({ description: 'Most agent enrollments per UTC minute for the tenant (default 1000); above it enrollment answers 429 with Retry-After.' }),
    enrollmentKeyMaxAgeDays: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Days an enrollment key works after it was issued (created or rotated); null (the default): until rotated.' }),
  })
  .openapi('Settings');
export type Settings = z.infer<typeof SettingsSchema>;

/** The stored settings (the check-in interval is kept on the tenant item itself). */
export type TenantSettings = Omit<Settings, 'agentCheckInIntervalSeconds'>;

export const DEFAULT_SETTINGS: TenantSettings = {
  labeledEventSyncIntervalMinutes: 30,
  weeklyReport: { dayOfWeek: 'sunday', time: '00:00' },
  eventRetentionDays: DEFAULT_EVENT_RETENTION_DAYS,
  alertMailsPerProfilePerHour: DEFAULT_ALERT_MAILS_PER_PROFILE_PER_HOUR,
  enrollmentRateLimitPerMinute: 1000,
  enrollmentKeyMaxAgeDays: null,
};

export const DEFAULT_CHECK_IN_SECONDS = 300;
