import { z } from '@hono/zod-openapi';
import { TimestampSchema } from './enums.ts';
import { MAX_POLICY_TARGETS, POLICY_SETTING_FIELDS, TargetInputSchema } from './policy.ts';

/**
 * A policy as exported (GET /v1/policies/{id}/export) and imported into any tenant (POST
 * /v1/policies/import): everything but ids and timestamps. `baselineServerId` names a server of the
 * exporting tenant, so it is not carried; the imported policy has none until one is set.
 */
export const ExportedPolicySchema = z.strictObject({
  ...POLICY_SETTING_FIELDS,
  targets: z.array(TargetInputSchema).max(MAX_POLICY_TARGETS),
});

export const PolicyExportSchema = z
  .strictObject({
    format: z.literal('driftwatch-policy'),
    version: z.literal(1),
    exportedAt: TimestampSchema,
    policy: ExportedPolicySchema,
  })
  .openapi('PolicyExport');
export type PolicyExport = z.infer<typeof PolicyExportSchema>;
