import type { Policy } from '../model/policy.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';
import type { Page, PageRequest } from './db.ts';

export const policies = defineEntity<Policy>({
  name: 'policy',
  key: (tenantId, policyId) => keys.policy(tenantId, policyId),
  idOf: (policy) => policy.id,
});

export const getPolicy = (tenantId: string, policyId: string) => policies.get(tenantId, policyId);

export function listPolicies(tenantId: string, page: PageRequest): Promise<Page<Policy>> {
  return policies.page(keys.policies(tenantId), page);
}

/** Several policies by id in one BatchGet (a group has a handful), in the order asked; missing ids are absent. */
export const getPolicies = (tenantId: string, policyIds: readonly string[]): Promise<Policy[]> => policies.getMany(tenantId, policyIds);

/**
 * Replaces a policy only if it is still the version that was read (same `updatedAt`): false when another
 * write came in between, so the caller re-reads and re-applies its change instead of losing that write.
 */
export function replacePolicyIfUnchanged(tenantId: string, next: Policy, readUpdatedAt: string): Promise<boolean> {
  return policies.put(tenantId, next, { expression: 'attribute_exists(pk) AND updatedAt = :read', values: { ':read': readUpdatedAt } });
}
