import { z } from '@hono/zod-openapi';
import { TargetInputSchema } from '../contract/policy.schemas.ts';
import { SOFTWARE_ID } from '../contract/software.ts';
import { CpuUsageSchema, HashAlgorithmSchema, PlatformSchema, PolicyStateSchema } from './enums.ts';

/**
 * Policies and targets are contract shapes (the agent runs them): their one model lives in
 * functions/contract/policy.schemas.ts and is re-exported here, so server code finds every model in one place.
 */
export { PolicySchema, TargetInputSchema, TargetSchema, type Policy, type Target } from '../contract/policy.schemas.ts';

/** Most targets a policy holds (create, PATCH, imports and recommendations all keep to it). */
export const MAX_POLICY_TARGETS = 500;

/** A policy's settings as written (create, PATCH, an imported export): validation of each field, once. */
export const POLICY_SETTING_FIELDS = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  platform: PlatformSchema,
  state: PolicyStateSchema,
  hashAlgorithm: HashAlgorithmSchema,
  cpuUsage: CpuUsageSchema,
  reports: z.boolean(),
  fullRehashEvery: z.number().int().min(1).max(1000),
};

/** A software id an agent reports (functions/contract/software.ts lists the ones recommendations know). */
export const SoftwareIdSchema = z.string().regex(SOFTWARE_ID).openapi('SoftwareId', { example: 'sshd' });

/** A template's target: a policy target and the software that makes it worth recommending. */
export const TemplateTargetSchema = TargetInputSchema.extend({
  appliesTo: z
    .array(SoftwareIdSchema)
    .optional()
    .openapi({ description: 'Recommended only to servers that run one of these; absent: to every server of the platform.' }),
}).openapi('TemplateTarget');

/** A built-in starting point for a policy (GET /v1/policy-templates). */
export const PolicyTemplateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    platform: PlatformSchema,
    targets: z.array(TemplateTargetSchema),
    unsupported: z
      .array(z.object({ path: z.string(), kind: z.enum(['registry-key']), reason: z.string() }))
      .optional()
      .openapi({ description: 'Listed by the source of the template but not monitored yet (Windows registry keys).' }),
  })
  .openapi('PolicyTemplate');
