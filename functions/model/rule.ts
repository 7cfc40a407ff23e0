import { z } from '@hono/zod-openapi';
import { RuleFieldSchema, RuleOperatorSchema, TimestampSchema } from './enums.ts';

/** One test of a rule: `field operator value` (CONTRACT "Rule".criteria). */
export const CriterionSchema = z
  .object({
    field: RuleFieldSchema,
    operator: RuleOperatorSchema,
    value: z.string().min(1).max(4096),
  })
  .openapi('Criterion');
export type Criterion = z.infer<typeof CriterionSchema>;

/**
 * An auto-labeling rule (CONTRACT "Rule"): immutable once created (clone to change it). It labels the events
 * of its policy detected while it is active (after createdAt, before deactivatedAt) whose every criterion holds.
 */
export const RuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    policyId: z.string(),
    labelId: z.string(),
    note: z.string().optional(),
    active: z.boolean(),
    criteria: z.array(CriterionSchema),
    createdAt: TimestampSchema,
    deactivatedAt: TimestampSchema.optional(),
  })
  .openapi('Rule');
export type Rule = z.infer<typeof RuleSchema>;
