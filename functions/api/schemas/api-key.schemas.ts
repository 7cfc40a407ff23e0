import { z } from '@hono/zod-openapi';
import { RoleSchema } from '../../model/enums.ts';

/** Request shapes of tenants and API keys (the served shapes are in functions/model/api-key.ts). */
export const CreateTenantSchema = z.strictObject({ name: z.string().trim().min(1).max(200) }).openapi('CreateTenant');
export const CreateApiKeySchema = z.strictObject({ name: z.string().trim().min(1).max(200), role: RoleSchema }).openapi('CreateApiKey');
export const IssueAdminKeySchema = z.strictObject({ name: z.string().trim().min(1).max(200).optional() }).openapi('IssueAdminKey');
