import type { Rule } from '../model/rule.ts';
import { triageKeys } from './keys.ts';
import { defineEntity } from './entity.ts';
import type { Condition, Page, PageRequest } from './db.ts';

/**
 * Auto-labeling rules: one small partition per tenant, read whole (the ingest reads it once per scan).
 * A deleted rule stays as a tombstone (`deletedAt`) until the label-cleanup worker has taken its labels
 * off the events; it labels nothing from the moment it is deleted.
 */
export interface RuleItem extends Rule {
  deletedAt?: string;
}

export const rules = defineEntity<RuleItem>({
  name: 'rule',
  key: (tenantId, ruleId) => triageKeys.rule(tenantId, ruleId),
  idOf: (rule) => rule.id,
});

/** Every rule item, tombstones included. */
export const listRuleItems = (tenantId: string): Promise<RuleItem[]> => rules.all(triageKeys.rules(tenantId));

/** The tenant's rules (not deleted), oldest first. */
export async function listRules(tenantId: string): Promise<Rule[]> {
  return (await listRuleItems(tenantId)).filter((r) => !r.deletedAt).map(served);
}

/** A page of rules (not deleted), oldest first, optionally of one policy. */
export async function pageRules(tenantId: string, policyId: string | undefined, page: PageRequest): Promise<Page<Rule>> {
  const filter: Condition = policyId
    ? { expression: 'attribute_not_exists(deletedAt) AND policyId = :policyId', values: { ':policyId': policyId } }
    : { expression: 'attribute_not_exists(deletedAt)' };
  const out = await rules.page({ ...triageKeys.rules(tenantId), filter }, page);
  return { items: out.items.map(served), nextCursor: out.nextCursor };
}

export async function getRule(tenantId: string, ruleId: string): Promise<Rule | undefined> {
  const item = await rules.get(tenantId, ruleId);
  return item && !item.deletedAt ? served(item) : undefined;
}

function served(item: RuleItem): Rule {
  const { deletedAt: _deletedAt, ...rule } = item;
  return rule;
}

/**
 * Makes the rule a tombstone (it labels nothing more) that owes its cleanup: in the CLEANUP index until the
 * label-cleanup worker deletes it, so the schedule's sweep re-sends a cleanup whose message was lost.
 */
export async function markRuleDeleted(tenantId: string, rule: RuleItem, now: Date): Promise<void> {
  const deletedAt = now.toISOString();
  await rules.update(tenantId, rule.id, {
    set: { deletedAt, active: false, ...(rule.active ? { deactivatedAt: deletedAt } : {}), ...triageKeys.cleanupOwed(tenantId, 'rule', rule.id, deletedAt) },
  });
}
