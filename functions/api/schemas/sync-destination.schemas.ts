import { z } from '@hono/zod-openapi';
import { syncDestinationFields } from '../../model/sync-destination.ts';

/** Request shapes of sync destinations (the served shape is in functions/model/sync-destination.ts). */
export const CreateSyncDestinationSchema = z
  .strictObject({
    name: syncDestinationFields.name,
    type: syncDestinationFields.type,
    url: syncDestinationFields.url,
    secret: syncDestinationFields.secret,
    format: syncDestinationFields.format.default('driftwatch'),
    enabled: syncDestinationFields.enabled.default(true),
  })
  .openapi('CreateSyncDestination');

export const PatchSyncDestinationSchema = z
  .strictObject({
    name: syncDestinationFields.name.optional(),
    url: syncDestinationFields.url.optional(),
    secret: syncDestinationFields.secret.optional(),
    format: syncDestinationFields.format.optional(),
    enabled: syncDestinationFields.enabled.optional(),
    previousSecretValidHours: z
      .number()
      .int()
      .min(0)
      .max(168)
      .optional()
      .openapi({ description: 'With a new `secret`: how long deliveries are also signed with the previous one (default 24; 0 stops it at once).' }),
  })
  .refine((patch) => patch.previousSecretValidHours === undefined || patch.secret !== undefined, { message: 'previousSecretValidHours goes with a new secret', path: ['previousSecretValidHours'] })
  .openapi('PatchSyncDestination');
