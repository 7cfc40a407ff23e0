import { z } from '@hono/zod-openapi';

export const ScanStatsSchema = z.object({
  filesScanned: z.number().int(),
  added: z.number().int(),
  modified: z.number().int(),
  removed: z.number().int(),
  renamed: z.number().int(),
});

export const ScanSchema = z
  .object({
    id: z.string(),
    serverId: z.string(),
    kind: z.enum(['baseline', 'scheduled', 'on-demand', 'agent-start', 'real-time']),
    status: z.enum(['pending', 'running', 'completed', 'failed']),
    requestedAt: z.string(),
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
    stats: ScanStatsSchema.optional(),
    error: z.string().optional(),
  })
  .openapi('Scan');
export type Scan = z.infer<typeof ScanSchema>;

export const ScanListQuerySchema = z.object({
  serverId: z.string().max(64).optional().openapi({ param: { name: 'serverId', in: 'query' } }),
  status: z.enum(['pending', 'running', 'completed', 'failed']).optional().openapi({ param: { name: 'status', in: 'query' } }),
});
