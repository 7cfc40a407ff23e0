import { z } from '@hono/zod-openapi';

/** Filters of `GET /v1/reports`. */
export const ReportQuerySchema = z.object({
  policyId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ param: { name: 'policyId', in: 'query' }, description: 'Only the reports of this policy.' }),
});
