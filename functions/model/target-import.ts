import { z } from '@hono/zod-openapi';
import { TargetSchema } from '../contract/policy.schemas.ts';

/** The formats POST /v1/policies/{id}/targets/import reads. */
export const ImportFormatSchema = z.enum(['watchlist', 'ossec', 'aide']).openapi('ImportFormat');
export type ImportFormat = z.infer<typeof ImportFormatSchema>;

const LineSchema = z.number().int().min(1);

/** The answer of a target import: what was added (with the line it came from), skipped, and noted. */
export const ImportTargetsResultSchema = z
  .object({
    added: z.number().int().openapi({ description: 'How many targets were added (0 on a dry run).' }),
    dryRun: z.boolean(),
    targets: z.array(z.object({ line: LineSchema, target: TargetSchema })).openapi({ description: 'The targets added (or, on a dry run, that would be), in file order.' }),
    skipped: z.array(z.object({ line: LineSchema, reason: z.string() })).openapi({ description: 'Every line that added nothing, with why.' }),
    notes: z
      .array(z.object({ line: LineSchema, message: z.string() }))
      .openapi({ description: 'Lines that were used (rule definitions, exclusions) or understood without an equivalent here (schedules, real-time flags).' }),
  })
  .openapi('ImportTargetsResult');
export type ImportTargetsResult = z.infer<typeof ImportTargetsResultSchema>;
