import { z } from '@hono/zod-openapi';
import { MAX_POLICY_TARGETS, POLICY_SETTING_FIELDS, TargetInputSchema } from '../../model/policy.ts';

const TargetWriteSchema = TargetInputSchema.extend({
  id: z.string().min(1).max(64).optional().openapi({ description: 'Keep an existing target\'s id on PATCH; new targets get one.' }),
});

const fields = {
  ...POLICY_SETTING_FIELDS,
  baselineServerId: z.string().min(1).max(64).nullable(),
  targets: z.array(TargetWriteSchema).max(MAX_POLICY_TARGETS),
};

export const CreatePolicySchema = z
  .strictObject({
    ...fields,
    state: fields.state.default('on'),
    hashAlgorithm: fields.hashAlgorithm.default('sha256'),
    cpuUsage: fields.cpuUsage.default('high'),
    baselineServerId: fields.baselineServerId.default(null),
    reports: fields.reports.default(false),
    fullRehashEvery: fields.fullRehashEvery.default(7),
    targets: fields.targets.default([]),
    fromTemplate: z.string().max(64).optional().openapi({ description: 'Start from a policy template\'s targets (see /v1/policy-templates).' }),
  })
  .openapi('CreatePolicy');
export type CreatePolicy = z.infer<typeof CreatePolicySchema>;

export const PatchPolicySchema = z
  .strictObject({
    name: fields.name.optional(),
    description: fields.description.nullable(),
    platform: fields.platform.optional(),
    state: fields.state.optional(),
    hashAlgorithm: fields.hashAlgorithm.optional(),
    cpuUsage: fields.cpuUsage.optional(),
    baselineServerId: fields.baselineServerId.optional(),
    reports: fields.reports.optional(),
    fullRehashEvery: fields.fullRehashEvery.optional(),
    targets: fields.targets.optional(),
  })
  .openapi('PatchPolicy');
export type PatchPolicy = z.infer<typeof PatchPolicySchema>;
