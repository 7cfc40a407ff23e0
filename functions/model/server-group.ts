import { z } from '@hono/zod-openapi';
import { DayOfWeekSchema, HhMmSchema, ScheduleFrequencySchema, TimestampSchema } from './enums.ts';

export const ScanScheduleSchema = z
  .strictObject({
    frequency: ScheduleFrequencySchema,
    time: HhMmSchema.optional().openapi({ description: 'UTC; for hourly only the minutes count. Default 00:00.' }),
    dayOfWeek: DayOfWeekSchema.optional().openapi({ description: 'weekly only; default sunday' }),
  })
  .openapi('ScanSchedule', {
    description:
      'When every active server of the group gets a pending `scheduled` scan (only groups with at least one policy are scanned). ' +
      'A new or changed schedule starts at its first slot after the change; after an outage, the latest slot missed is dispatched once, late.',
  });
export type ScanSchedule = z.infer<typeof ScanScheduleSchema>;

/** The fields a user sets on a group; request shapes (api/schemas) derive from these. */
export const groupFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  tag: z.string().trim().min(1).max(128).optional().openapi({ description: 'Agents enrolled with `--tag` equal to this join the group.' }),
  policyIds: z.array(z.string().min(1).max(64)).max(50),
  alertProfileIds: z.array(z.string().min(1).max(64)).max(50),
  scanSchedule: ScanScheduleSchema,
  scanOnAgentStart: z.boolean(),
};

/** A server group (CONTRACT "ServerGroup"). */
export const GroupSchema = z
  .object({
    id: z.string(),
    ...groupFields,
    builtIn: z.boolean(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .openapi('ServerGroup');
export type Group = z.infer<typeof GroupSchema>;
