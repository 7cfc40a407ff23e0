import { z } from '@hono/zod-openapi';
import { ScanStatusSchema } from '../../model/enums.ts';

/** The filters of GET /v1/scans. */
export const ScanListQuerySchema = z.object({
  serverId: z.string().max(64).optional().openapi({ param: { name: 'serverId', in: 'query' }, description: 'Only this server\'s scans.' }),
  status: ScanStatusSchema.optional().openapi({ param: { name: 'status', in: 'query' }, description: 'Only scans in this status.' }),
});
