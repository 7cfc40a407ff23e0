import { z } from '@hono/zod-openapi';

const DaySchema = z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC)');

export const ScanScheduleSchema = z
  .strictObject({
    frequency: z.enum(['off', 'hourly', 'daily', 'weekly']),
    time: hhmm.optional().openapi({ description: 'UTC; for hourly only the minutes count. Default 00:00.' }),
    dayOfWeek: DaySchema.optional().openapi({ description: 'weekly only; default sunday' }),
  })
  .openapi('ScanSchedule');

const groupFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  tag: z.string().trim().min(1).max(128).optional().openapi({ description: 'Agents enrolled with `--tag` equal to this join the group.' }),
  policyIds: z.array(z.string().min(1).max(64)).max(50),
  alertProfileIds: z.array(z.string().min(1).max(64)).max(50),
  scanSchedule: ScanScheduleSchema,
  scanOnAgentStart: z.boolean(),
};

export const CreateGroupSchema = z
  .strictObject({
    ...groupFields,
    policyIds: groupFields.policyIds.default([]),
    alertProfileIds: groupFields.alertProfileIds.default([]),
    scanSchedule: groupFields.scanSchedule.default({ frequency: 'off' }),
    scanOnAgentStart: groupFields.scanOnAgentStart.default(false),
  })
  .openapi('CreateServerGroup');

export const PatchGroupSchema = z
  .strictObject({
    name: groupFields.name.optional(),
    description: groupFields.description.nullable(),
    tag: groupFields.tag.nullable(),
    policyIds: groupFields.policyIds.optional(),
    alertProfileIds: groupFields.alertProfileIds.optional(),
    scanSchedule: groupFields.scanSchedule.optional(),
    scanOnAgentStart: groupFields.scanOnAgentStart.optional(),
  })
  .openapi('PatchServerGroup');

export const GroupSchema = z
  .object({
    id: z.string(),
    ...groupFields,
    builtIn: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ServerGroup');
export type Group = z.infer<typeof GroupSchema>;
export type CreateGroup = z.infer<typeof CreateGroupSchema>;
export type PatchGroup = z.infer<typeof PatchGroupSchema>;
