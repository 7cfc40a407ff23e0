import { z } from '@hono/zod-openapi';
import { SeveritySchema, TimestampSchema } from './enums.ts';

/** The fields a user sets on an alert profile; request shapes (api/schemas) derive from these. */
export const alertProfileFields = {
  name: z.string().trim().min(1).max(200),
  recipients: z
    .array(z.email().max(254).openapi({ example: 'ops@example.com' }))
    .min(1)
    .max(50)
    .refine((list) => new Set(list.map((r) => r.toLowerCase())).size === list.length, 'recipients must be distinct')
    .openapi({ description: 'Email addresses (Driftwatch users or external recipients); each gets its own mail.' }),
  severities: z
    .array(SeveritySchema)
    .min(1)
    .max(2)
    .refine((list) => new Set(list).size === list.length, 'severities must be distinct')
    .openapi({ description: 'Which events the profile mails about: critical, normal, or both.' }),
};

/**
 * Who is told about alerting changes (CONTRACT "alert-profiles"): assigned to server groups by their
 * `alertProfileIds`; each recipient gets one digest per scan (or real-time window) of a server of those
 * groups, listing the changes whose severity the profile takes.
 */
export const AlertProfileSchema = z
  .object({
    id: z.string(),
    ...alertProfileFields,
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .openapi('AlertProfile');
export type AlertProfile = z.infer<typeof AlertProfileSchema>;
