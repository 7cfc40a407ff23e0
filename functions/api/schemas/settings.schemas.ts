import { z } from '@hono/zod-openapi';
import { DayOfWeekSchema, HhMmSchema } from '../../model/enums.ts';
import { RETENTION_DESCRIPTION, WEEKLY_REPORT_DESCRIPTION } from '../../model/settings.ts';

export const PatchSettingsSchema = z
  .strictObject({
    labeledEventSyncIntervalMinutes: z.number().int().min(5).max(1440).optional(),
    weeklyReport: z.strictObject({ dayOfWeek: DayOfWeekSchema.optional(), time: HhMmSchema.optional() }).optional().openapi({ description: WEEKLY_REPORT_DESCRIPTION }),
    eventRetentionDays: z.number().int().min(1).max(3650).optional().openapi({ description: RETENTION_DESCRIPTION }),
    agentCheckInIntervalSeconds: z.number().int().min(60).max(3600).optional(),
    alertMailsPerProfilePerHour: z.number().int().min(1).max(1000).optional(),
    // One counter item takes every enrollment of a minute: 30,000 a minute is 500 writes a second, within what one item sustains.
    enrollmentRateLimitPerMinute: z.number().int().min(1).max(30_000).optional(),
    enrollmentKeyMaxAgeDays: z.number().int().min(1).max(3650).nullable().optional(),
  })
  .openapi('PatchSettings');
