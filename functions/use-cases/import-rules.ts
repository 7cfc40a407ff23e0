import { ValidationError } from '../shared/problem.ts';
import { parseRulesCsv, RulesCsvError } from '../domain/rules-csv.ts';
import { listLabels } from '../store/labels.ts';
import { policies as policyStore } from '../store/policies.ts';
import { keys } from '../store/keys.ts';
import { createRule, ruleProblems } from './manage-rules.ts';

/**
 * Imports Tanium's rules CSV: every rule that reads and resolves is created; every other one is reported
 * with its line and reason. `monitor_id` and `label_id` may be our ids or the policy's and label's names.
 * A file that cannot be read as a whole is a 400 and creates nothing.
 */
export async function importRules(tenantId: string, csv: string, now: Date) {
  let parsed;
  try {
    parsed = parseRulesCsv(csv);
  } catch (error) {
    if (error instanceof RulesCsvError) throw new ValidationError(`The rules CSV cannot be imported: ${error.message}.`, [{ path: '(body)', message: error.message }]);
    throw error;
  }
  const [policies, labels] = await Promise.all([policyStore.all(keys.policies(tenantId)), listLabels(tenantId)]);
  const policyOf = (ref: string) => policies.find((p) => p.id === ref) ?? policies.find((p) => p.name.toLowerCase() === ref.toLowerCase());
  const created: Array<{ id: string; name: string; line: number }> = [];
  const skipped = [...parsed.skipped];
  for (const row of parsed.rules) {
    const policy = policyOf(row.policy);
    if (!policy) {
      skipped.push({ line: row.line, reason: `rule "${row.name}": no policy "${row.policy}" (monitor_id is a policy id or name)` });
      continue;
    }
    const label =
      labels.find((l) => l.id === row.label) ??
      labels.find((l) => l.name.toLowerCase() === row.label.toLowerCase() && (!l.policyId || l.policyId === policy.id));
    if (!label) {
      skipped.push({ line: row.line, reason: `rule "${row.name}": no label "${row.label}" (label_id is a label id or name)` });
      continue;
    }
    const input = { name: row.name, description: row.description, note: row.note, policyId: policy.id, labelId: label.id, criteria: row.criteria };
    const problems = await ruleProblems(tenantId, input);
    if (problems.length) {
      skipped.push({ line: row.line, reason: `rule "${row.name}": ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}` });
      continue;
    }
    const rule = await createRule(tenantId, input, now);
    created.push({ id: rule.id, name: rule.name, line: row.line });
  }
  return { created: created.length, rules: created, skipped: skipped.sort((a, b) => a.line - b.line) };
}
