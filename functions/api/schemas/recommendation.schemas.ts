import { z } from '@hono/zod-openapi';
import { MAX_POLICY_TARGETS } from '../../model/policy.ts';

export const ApplyRecommendationsSchema = z
  .strictObject({
    policyId: z.string().min(1).max(64).openapi({ description: "One of the server group's policies, of the server's platform." }),
    targetPaths: z
      .array(z.string().min(1).max(4096))
      .min(1)
      .max(MAX_POLICY_TARGETS)
      .optional()
      .openapi({ description: 'Only these recommended paths; default every recommended target.' }),
  })
  .openapi('ApplyRecommendations');
export type ApplyRecommendations = z.infer<typeof ApplyRecommendationsSchema>;
