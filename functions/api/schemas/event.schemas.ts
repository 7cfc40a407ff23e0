import { z } from '@hono/zod-openapi';
import { EntrySchema } from '../../contract/entry.schemas.ts';

export const EventLabelSchema = z.object({
  labelId: z.string(),
  name: z.string(),
  note: z.string().optional(),
  appliedBy: z.object({ type: z.enum(['user', 'rule']), id: z.string() }),
  appliedAt: z.string(),
});

export const EventSchema = z
  .object({
    id: z.string(),
    serverId: z.string(),
    hostname: z.string(),
    groupId: z.string(),
    policyId: z.string(),
    targetPath: z.string(),
    path: z.string(),
    changeType: z.enum(['added', 'removed', 'modified', 'renamed']),
    previousPath: z.string().optional(),
    changedAttributes: z.array(z.string()),
    severity: z.enum(['critical', 'normal']),
    source: z.enum(['scan', 'real-time']),
    scanId: z.string().optional(),
    detectedAt: z.string(),
    before: EntrySchema.nullable(),
    after: EntrySchema.nullable(),
    labels: z.array(EventLabelSchema),
  })
  .openapi('Event');
export type Event = z.infer<typeof EventSchema>;

const iso = z.iso.datetime({ offset: true });
const q = (name: string) => ({ param: { name, in: 'query' as const } });

export const EventQuerySchema = z.object({
  serverId: z.string().max(64).optional().openapi(q('serverId')),
  groupId: z.string().max(64).optional().openapi(q('groupId')),
  policyId: z.string().max(64).optional().openapi(q('policyId')),
  changeType: z.enum(['added', 'removed', 'modified', 'renamed']).optional().openapi(q('changeType')),
  severity: z.enum(['critical', 'normal']).optional().openapi(q('severity')),
  labelId: z.string().max(64).optional().openapi(q('labelId')),
  pathPrefix: z.string().max(4096).optional().openapi(q('pathPrefix')),
  from: iso.optional().openapi(q('from')),
  to: iso.optional().openapi(q('to')),
});
export type EventQuery = z.infer<typeof EventQuerySchema>;
