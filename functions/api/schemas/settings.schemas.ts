import { z } from '@hono/zod-openapi';

const day = z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);

export const SettingsSchema = z
  .object({
    labeledEventSyncIntervalMinutes: z.number().int(),
    weeklyReport: z.object({ dayOfWeek: day, time: z.string() }),
    eventRetentionDays: z.number().int(),
    agentCheckInIntervalSeconds: z.number().int().openapi({ description: 'How often agents check in (default 300).' }),
  })
  .openapi('Settings');

export const PatchSettingsSchema = z
  .strictObject({
    labeledEventSyncIntervalMinutes: z.number().int().min(5).max(1440).optional(),
    weeklyReport: z
      .strictObject({ dayOfWeek: day.optional(), time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC)').optional() })
      .optional(),
    eventRetentionDays: z.number().int().min(1).max(3650).optional(),
    agentCheckInIntervalSeconds: z.number().int().min(60).max(3600).optional(),
  })
  .openapi('PatchSettings');
