import { z } from '@hono/zod-openapi';
import { RoleSchema, TimestampSchema } from './enums.ts';

/** A tenant API key as listed (never its secret). */
export const ApiKeySchema = z.object({ id: z.string(), name: z.string(), role: RoleSchema, createdAt: TimestampSchema }).openapi('ApiKey');
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** A new key, answered once. */
export const CreatedApiKeySchema = ApiKeySchema.extend({ key: z.string().openapi({ description: 'Shown once; store it now.' }) }).openapi('CreatedApiKey');

export const CreatedTenantSchema = z
  .object({ tenant: z.object({ id: z.string(), name: z.string() }), adminKey: z.string(), enrollmentKey: z.string() })
  .openapi('CreatedTenant');

export const EnrollmentKeySchema = z
  .object({
    key: z.string(),
    expiresAt: TimestampSchema.nullable().openapi({ description: 'When the key stops working (setting enrollmentKeyMaxAgeDays); null: until rotated.' }),
  })
  .openapi('EnrollmentKey');
