import { ValidationError } from '../shared/problem.ts';
import { newId } from '../shared/ids.ts';
import type { Policy, Target } from '../model/policy.ts';

/** What a user gives to create a policy (the API's CreatePolicy request, defaults applied). */
export type PolicyInput = Omit<Policy, 'id' | 'targets' | 'createdAt' | 'updatedAt'> & {
  targets: (Omit<Target, 'id'> & { id?: string | undefined })[];
  fromTemplate?: string | undefined;
};
import { asPolicyTarget, findTemplate } from '../domain/policy-templates.ts';
import { policies } from '../store/policies.ts';
import { checkBaselineServer, checkPolicyFits, checkTargets, withIds } from './policy-targets.ts';
import { startReports } from './start-reports.ts';

/** A new policy, optionally starting from a template's targets (the posted targets come after them). */
export async function createPolicy(tenantId: string, input: PolicyInput, now: Date): Promise<Policy> {
  const { fromTemplate, targets, ...fields } = input;
  const template = fromTemplate ? findTemplate(fromTemplate) : undefined;
  if (fromTemplate && !template) throw new ValidationError('Unknown template.', [{ path: 'fromTemplate', message: `no template ${fromTemplate}` }]);
  if (template && template.platform !== fields.platform) {
    throw new ValidationError('The template is for another platform.', [{ path: 'fromTemplate', message: `${template.id} is a ${template.platform} template; this policy is for ${fields.platform}` }]);
  }
  await checkBaselineServer(tenantId, fields.baselineServerId);
  const policy: Policy = {
    id: newId('pol', now),
    ...fields,
    targets: withIds([...(template?.targets ?? []).map(asPolicyTarget), ...targets]),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  checkTargets(policy.targets);
  checkPolicyFits(policy);
  if (policy.reports) await startReports(tenantId, policy.id, now);
  await policies.create(tenantId, policy);
  return policy;
}
