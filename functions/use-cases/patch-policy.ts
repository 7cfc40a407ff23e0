import { NotFoundError } from '../shared/problem.ts';
import type { Policy } from '../model/policy.ts';

/** A PATCH: every field optional; `description: null` clears it. */
export type PolicyPatch = Partial<Omit<PolicyInput, 'fromTemplate' | 'description'>> & { description?: string | null | undefined };
import type { PolicyInput } from './create-policy.ts';
import { getPolicy, policies } from '../store/policies.ts';
import { bumpConfigVersion } from '../store/tenants.ts';
import { checkBaselineServer, checkPolicyFits, checkTargets, withIds } from './policy-targets.ts';
import { startReports } from './start-reports.ts';

/** Applies a PATCH: fields left out stay; targets, when given, replace the list; agents refetch config. */
export async function patchPolicy(tenantId: string, policyId: string, patch: PolicyPatch, now: Date): Promise<Policy> {
  const current = await getPolicy(tenantId, policyId);
  if (!current) throw new NotFoundError('policy');
  const { targets, description, ...fields } = patch;
  const next: Policy = { ...current, updatedAt: now.toISOString() };
  for (const [field, value] of Object.entries(fields)) if (value !== undefined) (next as Record<string, unknown>)[field] = value;
  if (description === null) delete next.description;
  else if (description !== undefined) next.description = description;
  if (targets) next.targets = withIds(targets);
  checkTargets(next.targets);
  checkPolicyFits(next);
  await checkBaselineServer(tenantId, next.baselineServerId);
  if (next.reports && !current.reports) await startReports(tenantId, policyId, now);
  await policies.put(tenantId, next);
  await bumpConfigVersion(tenantId);
  return next;
}
