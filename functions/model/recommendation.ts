import { z } from '@hono/zod-openapi';
import { TargetSchema } from '../contract/policy.schemas.ts';
import { PlatformSchema } from './enums.ts';
import { TemplateTargetSchema } from './policy.ts';

/** A template target recommended to a server, with the reported software that makes it apply. */
export const RecommendedTargetSchema = TemplateTargetSchema.extend({
  because: z.array(z.string()).openapi({ description: 'Reported software that makes this target apply; empty: it applies to every server of the platform.' }),
}).openapi('RecommendedTarget');

/** GET /v1/servers/{id}/recommendations. */
export const RecommendationsSchema = z
  .object({
    serverId: z.string(),
    platform: PlatformSchema,
    software: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'Software the agent reported; null when it has not reported any (an older agent): only platform-wide targets are recommended then.' }),
    templates: z.array(
      z.object({ id: z.string(), name: z.string(), description: z.string(), targets: z.array(RecommendedTargetSchema) }).openapi('RecommendedTemplate'),
    ),
  })
  .openapi('Recommendations');
export type Recommendations = z.infer<typeof RecommendationsSchema>;

/** What POST /v1/servers/{id}/recommendations/apply added. */
export const AppliedRecommendationsSchema = z
  .object({ policyId: z.string(), added: z.array(TargetSchema) })
  .openapi('AppliedRecommendations');
export type AppliedRecommendations = z.infer<typeof AppliedRecommendationsSchema>;
