import { z } from '@hono/zod-openapi';
import { ENTRY_ATTRIBUTES } from './entry.ts';
import { CpuUsageSchema, EntryAttributeSchema, HashAlgorithmSchema, PlatformSchema, PolicyStateSchema, TimestampSchema } from './enums.ts';

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
  path: absolutePath.openapi({
    description:
      'An absolute path (`/etc`, `C:\\Windows\\System32`) of a directory or file. A `*` wildcard may stand in its last segment only (`/etc/*.conf`); no `.` or `..` segments.',
    example: '/etc',
  }),
  recursive: z.boolean().openapi({ description: 'Watch everything below the path, not only its direct entries.' }).default(true),
  include: z
    .array(glob)
    .max(100)
    .openapi({ description: 'When given, only entries matching one of these globs (relative to the target path, as in .gitignore).' })
    .default([]),
  exclude: z
    .array(glob)
    .max(100)
    .openapi({
      description:
        'Globs relative to the target path, as in .gitignore: one without `/` matches a name at any depth (`*.log`), one with `/` from the target root (`cache/**`). An excluded directory is not descended into.',
      example: ['*.log', 'cache/**'],
    })
    .default([]),
  attributes: z
    .array(EntryAttributeSchema)
    .min(1)
    .openapi({ description: 'What a change of an entry is: the attributes compared (default all). `owner` and `group` compare uid and gid.' })
    .default([...ENTRY_ATTRIBUTES]),
  critical: z.boolean().openapi({ description: 'Events of this target have severity `critical` (else `normal`).' }).default(false),
  alert: z.boolean().openapi({ description: "Changes here are mailed to the alert profiles of the server's group." }).default(true),
  description: z.string().max(1000).optional(),
});

/** A target as stored and served: every field is there (its defaults were applied when it was written). */
const { recursive, include, exclude, attributes, critical, alert } = TargetInputSchema.shape;
export const TargetSchema = TargetInputSchema.extend({
  id: z.string(),
  recursive: recursive.unwrap(),
  include: include.unwrap(),
  exclude: exclude.unwrap(),
  attributes: attributes.unwrap(),
  critical: critical.unwrap(),
  alert: alert.unwrap(),
}).openapi('Target');
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
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .openapi('Policy');
export type Policy = z.infer<typeof PolicySchema>;
