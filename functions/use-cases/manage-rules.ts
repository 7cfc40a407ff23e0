import { newId } from '../shared/ids.ts';
import { NotFoundError, ValidationError, type FieldError } from '../shared/problem.ts';
import type { Criterion, Rule } from '../model/rule.ts';
import type { Event } from '../model/event.ts';
import { criterionProblem } from '../domain/rule-match.ts';
import { DEFAULT_LABELS } from '../model/label.ts';
import { getLabel } from '../store/labels.ts';
import { getPolicy } from '../store/policies.ts';
import { getRule, markRuleDeleted, rules } from '../store/rules.ts';
import { enqueue } from '../queues/enqueue.ts';
import { labelCleanupQueue } from '../queues/queues.ts';

/** Rules are created, cloned, deactivated and deleted; never edited (an audit trail needs them fixed). */
export interface RuleInput {
  name: string;
  description?: string | undefined;
  policyId: string;
  labelId: string;
  note?: string | undefined;
  criteria: Criterion[];
}

/** Why a rule cannot be created, field by field (empty when it can). */
export async function ruleProblems(tenantId: string, input: RuleInput): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  input.criteria.forEach((criterion, i) => {
    const problem = criterionProblem(criterion);
    if (problem) errors.push({ path: `criteria.${i}`, message: problem });
  });
  const [policy, label] = await Promise.all([getPolicy(tenantId, input.policyId), getLabel(tenantId, input.labelId)]);
  if (!policy) errors.push({ path: 'policyId', message: `no policy ${input.policyId}` });
  if (!label) errors.push({ path: 'labelId', message: `no label ${input.labelId}` });
  else if (label.policyId && label.policyId !== input.policyId) errors.push({ path: 'labelId', message: `label ${label.id} belongs to policy ${label.policyId}` });
  return errors;
}

/** A new active rule; it labels events detected from now on. */
export async function createRule(tenantId: string, input: RuleInput, now: Date): Promise<Rule> {
  const errors = await ruleProblems(tenantId, input);
  if (errors.length) throw new ValidationError('The rule is not valid.', errors);
  const rule: Rule = {
    id: newId('rul', now),
    name: input.name,
    ...(input.description ? { description: input.description } : {}),
    policyId: input.policyId,
    labelId: input.labelId,
    ...(input.note ? { note: input.note } : {}),
    active: true,
    criteria: input.criteria,
    createdAt: now.toISOString(),
  };
  await rules.create(tenantId, rule);
  return rule;
}

export type CloneOverrides = Partial<Omit<RuleInput, 'description' | 'note'>> & { description?: string | null | undefined; note?: string | null | undefined };

/** A new rule from an existing one (the way to "edit"), named `<name> cloned <timestamp>` unless renamed. */
export async function cloneRule(tenantId: string, ruleId: string, overrides: CloneOverrides, now: Date): Promise<Rule> {
  const source = await getRule(tenantId, ruleId);
  if (!source) throw new NotFoundError('rule');
  const pick = <K extends 'description' | 'note'>(key: K) => (overrides[key] === null ? undefined : (overrides[key] ?? source[key]));
  return createRule(
    tenantId,
    {
      name: overrides.name ?? `${source.name} cloned ${now.toISOString()}`,
      description: pick('description'),
      policyId: overrides.policyId ?? source.policyId,
      labelId: overrides.labelId ?? source.labelId,
      note: pick('note'),
      criteria: overrides.criteria ?? source.criteria,
    },
    now,
  );
}

/** Stops a rule for events detected from now on; the labels it applied stay. Deactivating twice is a no-op. */
export async function deactivateRule(tenantId: string, ruleId: string, now: Date): Promise<Rule> {
  const rule = await getRule(tenantId, ruleId);
  if (!rule) throw new NotFoundError('rule');
  if (!rule.active) return rule;
  const updated = await rules.update(tenantId, ruleId, { set: { active: false, deactivatedAt: now.toISOString() } }, { expression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt) AND active = :yes', values: { ':yes': true } });
  return updated ? served(updated) : ((await getRule(tenantId, ruleId)) ?? rule);
}

/** Deletes a rule: gone at once (it labels nothing more); the label-cleanup worker removes the labels it applied. */
export async function deleteRule(tenantId: string, ruleId: string, now: Date): Promise<void> {
  const item = await rules.get(tenantId, ruleId);
  if (!item) throw new NotFoundError('rule');
  // Already deleted but not yet cleaned up (its tombstone goes when it is): asking again re-queues the cleanup,
  // in case a crash came between the two.
  if (!item.deletedAt) {
    await markRuleDeleted(tenantId, item, now);
  }
  await enqueue(labelCleanupQueue, { tenantId, kind: 'rule', id: ruleId });
}

/** "Learn from an event": a rule body matching this event's path, change type and host, for the user to post. */
export function ruleDraftOf(event: Event): RuleInput {
  return {
    name: `Learned from ${event.path}`.slice(0, 200),
    description: `Drafted from event ${event.id} (${event.changeType} on ${event.hostname}).`,
    policyId: event.policyId,
    labelId: DEFAULT_LABELS.find((l) => l.name === 'Expected')!.id,
    criteria: [
      { field: 'path', operator: 'eq', value: event.path },
      { field: 'changeType', operator: 'eq', value: event.changeType },
      { field: 'hostname', operator: 'eq', value: event.hostname },
    ],
  };
}

function served(item: Rule & { deletedAt?: string }): Rule {
  const { deletedAt: _d, ...rule } = item;
  return rule;
}
