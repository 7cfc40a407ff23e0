import { z } from '@hono/zod-openapi';
import { AuditActionSchema } from '../../model/enums.ts';

const iso = z.iso.datetime({ offset: true });
const q = (name: string, description: string) => ({ param: { name, in: 'query' as const }, description });

/** The filters of GET /v1/audit. */
export const AuditQuerySchema = z.object({
  action: AuditActionSchema.optional().openapi(q('action', 'Only entries of this action (e.g. `server.enrolled`).')),
  targetId: z.string().max(64).optional().openapi(q('targetId', 'Only entries about this object: a server id, an API key id.')),
  from: iso.optional().openapi(q('from', 'At or after (ISO-8601).')),
  to: iso.optional().openapi(q('to', 'At or before (ISO-8601).')),
});
