import { z } from '@hono/zod-openapi';
import { SyncDestinationTypeSchema, SyncFormatSchema, TimestampSchema } from './enums.ts';

/** The fields a user sets on a sync destination; request shapes (api/schemas) derive from these. */
export const syncDestinationFields = {
  name: z.string().trim().min(1).max(200),
  type: SyncDestinationTypeSchema,
  url: z
    .string()
    .max(2048)
    .openapi({
      example: 'https://siem.example.com/hooks/driftwatch',
      description:
        'Where deliveries are POSTed: `https` on port 443, to a name that resolves to public addresses only (checked at create and again, after DNS resolution, at every delivery). The local stack also allows `http://127.0.0.1`.',
    }),
  secret: z
    .string()
    .min(16)
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .openapi({
      description:
        'Signs every delivery (never returned). `X-Driftwatch-Signature` is keyed by this string as given; Standard Webhooks `webhook-signature` by the bytes of a `whsec_<base64>` secret, or else by this string as given.',
    }),
  format: SyncFormatSchema.openapi({ description: '`driftwatch` (default): the contract\'s Event objects; `ocsf`: OCSF 1.8 File System Activity (class_uid 1001) records.' }),
  enabled: z.boolean().openapi({ description: 'False stops deliveries (a destination that answers 410 Gone is disabled); set true to resume.' }),
};

/**
 * Where labeled events go (CONTRACT "sync-destinations", §4): a webhook that receives, every
 * `labeledEventSyncIntervalMinutes` and on send-now, each application of a `notify` label made since the
 * destination was created and not yet acknowledged by it, signed, in batches. The secret is never served.
 */
export const SyncDestinationSchema = z
  .object({
    id: z.string(),
    name: syncDestinationFields.name,
    type: syncDestinationFields.type,
    url: z.string(),
    format: SyncFormatSchema,
    enabled: z.boolean(),
    disabledReason: z.string().nullable().openapi({ description: 'Why deliveries stopped, when the destination did it (410 Gone).' }),
    previousSecretValidUntil: TimestampSchema.nullable().openapi({
      description: 'After a secret change, deliveries are also signed with the previous secret until then (both signatures are sent).',
    }),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    lastSuccessAt: TimestampSchema.nullable().openapi({ description: 'When the destination last acknowledged a delivery (2xx).' }),
    lastError: z.string().nullable().openapi({ description: 'Why the last attempt failed (cleared by a success): a status line, never the response body.' }),
    lastErrorAt: TimestampSchema.nullable(),
    consecutiveFailures: z.number().int().openapi({ description: 'Failed attempts since the last success; retries back off exponentially (with jitter) up to an hour.' }),
    nextAttemptAt: TimestampSchema.nullable().openapi({ description: 'When a failing destination is tried again (send-now tries at once).' }),
    pendingCount: z.number().int().openapi({ description: 'Label applications owed to this destination and not yet acknowledged.' }),
  })
  .openapi('SyncDestination');
export type SyncDestination = z.infer<typeof SyncDestinationSchema>;

/** The answer of `POST /v1/sync-destinations/{id}/send-now`. */
export const SendNowSchema = z
  .object({ destinationId: z.string(), requestedAt: TimestampSchema })
  .openapi('SyncSendNow');
