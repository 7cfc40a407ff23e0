import { z } from '@hono/zod-openapi';
import { CriterionSchema } from '../../model/rule.ts';

const id = z.string().min(1).max(64);

const fields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000),
  policyId: id,
  labelId: id,
  note: z.string().max(2000),
  criteria: z.array(CriterionSchema.strict()).min(1).max(50),
};

export const CreateRuleSchema = z
  .strictObject({ ...fields, description: fields.description.optional(), note: fields.note.optional() })
  .openapi('CreateRule');
export type CreateRule = z.infer<typeof CreateRuleSchema>;

/** A clone's overrides: any field of a new rule; the rest comes from the rule cloned. */
export const CloneRuleSchema = z
  .strictObject({
    name: fields.name.optional(),
    description: fields.description.nullable().optional(),
    policyId: fields.policyId.optional(),
    labelId: fields.labelId.optional(),
    note: fields.note.nullable().optional(),
    criteria: fields.criteria.optional(),
  })
  .openapi('CloneRule');
export type CloneRule = z.infer<typeof CloneRuleSchema>;

export const RuleImportResultSchema = z
  .object({
    created: z.number().int(),
    rules: z.array(z.object({ id: z.string(), name: z.string(), line: z.number().int() })),
    skipped: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  })
  .openapi('RuleImportResult');
