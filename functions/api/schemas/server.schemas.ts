import { z } from '@hono/zod-openapi';
import { FimStateSchema } from '../../model/enums.ts';

export const PatchServerSchema = z
  .strictObject({ groupId: z.string().min(1).max(64).optional(), fimState: FimStateSchema.optional() })
  .openapi('PatchServer');

export const ServerListQuerySchema = z.object({
  groupId: z.string().max(64).optional().openapi({ param: { name: 'groupId', in: 'query' }, description: 'Only servers of this group.' }),
});
