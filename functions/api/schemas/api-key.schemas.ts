import { z } from '@hono/zod-openapi';

export const RoleSchema = z.enum(['read-only', 'user', 'author', 'admin']);

export const CreateTenantSchema = z.strictObject({ name: z.string().trim().min(1).max(200) }).openapi('CreateTenant');
export const CreatedTenantSchema = z
  .object({ tenant: z.object({ id: z.string(), name: z.string() }), adminKey: z.string(), enrollmentKey: z.string() })
  .openapi('CreatedTenant');

export const CreateApiKeySchema = z.strictObject({ name: z.string().trim().min(1).max(200), role: RoleSchema }).openapi('CreateApiKey');
export const ApiKeySchema = z.object({ id: z.string(), name: z.string(), role: RoleSchema, createdAt: z.string() }).openapi('ApiKey');
export const CreatedApiKeySchema = ApiKeySchema.extend({ key: z.string().openapi({ description: 'Shown once; store it now.' }) }).openapi(
  'CreatedApiKey',
);
export const EnrollmentKeySchema = z.object({ key: z.string() }).openapi('EnrollmentKey');
