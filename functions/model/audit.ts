import { z } from '@hono/zod-openapi';
import { AuditActionSchema, AuditActorTypeSchema, TimestampSchema } from './enums.ts';

export const AuditActorSchema = z
  .object({
    type: AuditActorTypeSchema,
    /** The API key id (api-key) or server id (agent); absent for the operator and the enrollment key. */
    id: z.string().optional(),
    /** Which enrollment key: its generation (each rotation makes the next one). */
    keyGeneration: z.number().int().optional(),
  })
  .openapi('AuditActor');
export type AuditActor = z.infer<typeof AuditActorSchema>;

/** Where a request came from, as the service saw it (never from a header the client can set). */
export const RequestOriginSchema = z.object({
  sourceIp: z.string().optional().openapi({ description: 'The address the request came from (API Gateway\'s sourceIp; the socket peer locally).' }),
  userAgent: z.string().optional().openapi({ description: 'The User-Agent header as sent, cut to 256 characters.' }),
});
export type RequestOrigin = z.infer<typeof RequestOriginSchema>;

/**
 * One entry of a tenant's audit trail: who did what to which object, when and from where. Entries are
 * appended, never changed; features add an action to AUDIT_ACTIONS and call recordAudit
 * (functions/use-cases/record-audit.ts).
 */
export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: TimestampSchema,
    action: AuditActionSchema,
    actor: AuditActorSchema,
    /** The object acted on (a server, an API key); the trail of one object is `GET /v1/audit?targetId=`. */
    target: z.object({ type: z.enum(['server', 'api-key', 'enrollment-key', 'sync-destination']), id: z.string() }).optional(),
    ...RequestOriginSchema.shape,
    /** What else is worth knowing about this action (a hostname, a role, a limit). */
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .openapi('AuditEntry');
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
