import { z } from '@hono/zod-openapi';
import { ChangeTypeSchema, SeveritySchema } from '../../model/enums.ts';

const iso = z.iso.datetime({ offset: true });
const q = (name: string, description: string) => ({ param: { name, in: 'query' as const }, description });

/** The filters of GET /v1/events. */
export const EventQuerySchema = z.object({
  serverId: z.string().max(64).optional().openapi(q('serverId', 'Only this server\'s events.')),
  groupId: z.string().max(64).optional().openapi(q('groupId', 'Only events of servers in this group (when detected).')),
  policyId: z.string().max(64).optional().openapi(q('policyId', 'Only events under this policy.')),
  changeType: ChangeTypeSchema.optional().openapi(q('changeType', 'added, removed, modified or renamed.')),
  severity: SeveritySchema.optional().openapi(q('severity', 'critical or normal.')),
  labelId: z.string().max(64).optional().openapi(q('labelId', 'Only events carrying this label.')),
  unlabeled: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi(q('unlabeled', '`true`: only events carrying no label (the triage queue).')),
  pathPrefix: z.string().max(4096).optional().openapi(q('pathPrefix', 'Only paths starting with this.')),
  from: iso.optional().openapi(q('from', 'Detected at or after (ISO-8601).')),
  to: iso.optional().openapi(q('to', 'Detected at or before (ISO-8601).')),
});
export type EventQuery = z.infer<typeof EventQuerySchema>;
