import { z } from '@hono/zod-openapi';
import { EntrySchema } from '../../contract/entry.schemas.ts';

export const FimStateSchema = z.enum(['inherit', 'off', 'on', 'real-time']);

export const ServerSchema = z
  .object({
    id: z.string(),
    hostname: z.string(),
    platform: z.enum(['linux', 'windows']),
    agentVersion: z.string(),
    groupId: z.string(),
    tags: z.array(z.string()),
    status: z.enum(['active', 'offline', 'deactivated']),
    lastSeenAt: z.string().nullable(),
    enrolledAt: z.string(),
    fimState: FimStateSchema,
    watching: z.enum(['active', 'unavailable', 'off']).optional(),
  })
  .openapi('Server');
export type Server = z.infer<typeof ServerSchema>;

export const PatchServerSchema = z
  .strictObject({ groupId: z.string().min(1).max(64).optional(), fimState: FimStateSchema.optional() })
  .openapi('PatchServer');

export const ServerListQuerySchema = z.object({
  groupId: z.string().max(64).optional().openapi({ param: { name: 'groupId', in: 'query' } }),
});

export const DriftItemSchema = z
  .object({
    path: z.string(),
    policyId: z.string(),
    changeType: z.enum(['added', 'removed', 'modified', 'renamed']),
    previousPath: z.string().optional(),
    changedAttributes: z.array(z.string()),
    baseline: EntrySchema.nullable(),
    current: EntrySchema.nullable(),
  })
  .openapi('DriftItem');
export const DriftSchema = z.object({ items: z.array(DriftItemSchema) }).openapi('Drift');
