import { z } from '@hono/zod-openapi';
import { EntrySchema } from '../contract/entry.schemas.ts';
import { AppliedByTypeSchema, ChangeTypeSchema, EntryAttributeSchema, EventSourceSchema, SeveritySchema, TimestampSchema } from './enums.ts';

/** A label on an event (CONTRACT "Event".labels). */
export const EventLabelSchema = z
  .object({
    labelId: z.string(),
    name: z.string(),
    note: z.string().optional(),
    appliedBy: z.object({ type: AppliedByTypeSchema, id: z.string() }),
    appliedAt: TimestampSchema,
  })
  .openapi('EventLabel');
export type EventLabel = z.infer<typeof EventLabelSchema>;

/** One change of one monitored entry, found by comparing a scan with the one before it (CONTRACT "Event"). */
export const EventSchema = z
  .object({
    id: z.string(),
    serverId: z.string(),
    hostname: z.string(),
    groupId: z.string(),
    policyId: z.string(),
    targetPath: z.string(),
    path: z.string(),
    changeType: ChangeTypeSchema,
    previousPath: z.string().optional(),
    changedAttributes: z.array(EntryAttributeSchema),
    severity: SeveritySchema,
    source: EventSourceSchema,
    scanId: z.string().optional(),
    detectedAt: TimestampSchema,
    before: EntrySchema.nullable(),
    after: EntrySchema.nullable(),
    labels: z.array(EventLabelSchema),
  })
  .openapi('Event');
export type Event = z.infer<typeof EventSchema>;
