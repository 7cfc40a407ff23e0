import { z } from '@hono/zod-openapi';
import { EntrySchema } from '../contract/entry.schemas.ts';
import { ChangeTypeSchema, EntryAttributeSchema, FimStateSchema, PlatformSchema, ServerStatusSchema, TimestampSchema, WatchingSchema } from './enums.ts';

/** An enrolled server (CONTRACT "Server"). */
export const ServerSchema = z
  .object({
    id: z.string(),
    hostname: z.string(),
    platform: PlatformSchema,
    agentVersion: z.string(),
    groupId: z.string(),
    tags: z.array(z.string()),
    status: ServerStatusSchema,
    lastSeenAt: TimestampSchema.nullable().openapi({
      description: 'When the agent last checked in. Written at most every 15 minutes (check-ins are otherwise read-only), so it may lag by that much; `status` allows for it.',
    }),
    enrolledAt: TimestampSchema,
    fimState: FimStateSchema,
    watching: WatchingSchema.optional(),
    software: z
      .array(z.string())
      .optional()
      .openapi({ description: 'Software the agent found on the host (sshd, cron, nginx, ...): what recommendations are based on. Absent until an agent reports it.' }),
  })
  .openapi('Server');
export type Server = z.infer<typeof ServerSchema>;

/** One entry that differs from the baseline now (GET /v1/servers/{id}/drift). */
export const DriftItemSchema = z
  .object({
    path: z.string(),
    policyId: z.string(),
    changeType: ChangeTypeSchema,
    previousPath: z.string().optional(),
    changedAttributes: z.array(EntryAttributeSchema),
    baseline: EntrySchema.nullable(),
    current: EntrySchema.nullable(),
  })
  .openapi('DriftItem');
export const DriftSchema = z.object({ items: z.array(DriftItemSchema) }).openapi('Drift');
export type DriftItem = z.infer<typeof DriftItemSchema>;
