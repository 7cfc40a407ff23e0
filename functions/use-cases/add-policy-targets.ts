import type { Policy, Target } from '../model/policy.ts';
import { ConflictError, NotFoundError } from '../shared/problem.ts';
import { getPolicy, replacePolicyIfUnchanged } from '../store/policies.ts';
import { bumpConfigVersion } from '../store/tenants.ts';
import { checkPolicyFits, checkTargets, withIds } from './policy-targets.ts';

/** What a caller decides to add, given the policy as it is now (re-asked after a concurrent write). */
export interface TargetAddition<R> {
  targets: Omit<Target, 'id'>[];
  /** Whatever else the caller wants back (skipped lines...). */
  result: R;
}

export interface AddedTargets<R> {
  policy: Policy;
  /** The added targets with their new ids, in the order given. */
  added: Target[];
  result: R;
}

/** Tries before a 409: each retry means another write to the same policy landed in between. */
const ATTEMPTS = 5;

/**
 * Appends targets to a policy (imports, recommendations) without losing a write that lands meanwhile:
 * read the policy, let `plan` decide against it, check the limits (target count, item size), then
 * replace it only if it is unchanged, else start over. Agents refetch their config afterwards.
 * With `dryRun` nothing is written and the answer shows what would be.
 */
export async function addPolicyTargets<R>(
  tenantId: string,
  policyId: string,
  plan: (policy: Policy) => TargetAddition<R>,
  now: Date,
  options: { dryRun?: boolean } = {},
): Promise<AddedTargets<R>> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await getPolicy(tenantId, policyId);
    if (!current) throw new NotFoundError('policy');
    const { targets, result } = plan(current);
    const added = withIds(targets);
    // updatedAt moves forward even within one millisecond, so it identifies this version.
    const updatedAt = new Date(Math.max(now.getTime(), Date.parse(current.updatedAt) + 1)).toISOString();
    const next: Policy = { ...current, targets: [...current.targets, ...added], updatedAt };
    checkTargets(next.targets);
    checkPolicyFits(next);
    if (options.dryRun || added.length === 0) return { policy: current, added, result };
    if (await replacePolicyIfUnchanged(tenantId, next, current.updatedAt)) {
      await bumpConfigVersion(tenantId);
      return { policy: next, added, result };
    }
  }
  throw new ConflictError('The policy kept changing while targets were added; try again.');
}
