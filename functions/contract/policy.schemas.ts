import { z } from '@hono/zod-openapi';
import { ENTRY_ATTRIBUTES } from './entry.ts';
import { CpuUsageSchema, EntryAttributeSchema, HashAlgorithmSchema, PlatformSchema, PolicyStateSchema } from './enums.ts';

export { CpuUsageSchema, HashAlgorithmSchema, PolicyStateSchema };

/**
 * Policies and their targets (CONTRACT "Policy", "Target"). A target path is absolute; `*` may stand
 * in its last segment only.
 */
const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path')
  .refine((p) => !p.split(/[\\/]/).slice(0, -1).some((segment) => /[*?[\]{}]/.test(segment)), 'a wildcard may appear in the last path segment only')
  .refine((p) => !p.split(/[\\/]/).some((segment) => segment === '..' || segment === '.'), 'must not contain . or .. segments');

const glob = z.string().min(1).max(512);

export const TargetInputSchema = z.strictObject({
  path: absolutePath,
  recursive: z.boolean().default(true),
  include: z.array(glob).max(100).default([]),
  exclude: z.array(glob).max(100).default([]),
  attributes: z.array(EntryAttributeSchema).min(1).default([...ENTRY_ATTRIBUTES]),
  critical: z.boolean().default(false),
  alert: z.boolean().default(true),
  description: z.string().max(1000).optional(),
});

export const TargetSchema = TargetInputSchema.extend({ id: z.string() }).openapi('Target');
export type Target = z.infer<typeof TargetSchema>;


export const PolicySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    platform: PlatformSchema,
    state: PolicyStateSchema,
    hashAlgorithm: HashAlgorithmSchema,
    cpuUsage: CpuUsageSchema,
    baselineServerId: z.string().nullable(),
    reports: z.boolean(),
    /** Every how many scans the agent re-hashes files whose metadata did not change. */
    fullRehashEvery: z.number().int(),
    targets: z.array(TargetSchema),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Policy');
export type Policy = z.infer<typeof PolicySchema>;
