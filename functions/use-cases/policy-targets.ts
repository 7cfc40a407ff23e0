import { ValidationError } from '../shared/problem.ts';
import { newId } from '../shared/ids.ts';
import { MAX_POLICY_TARGETS, type Policy, type Target } from '../model/policy.ts';
import { getServer } from '../store/servers.ts';

/** Targets keep the id they were given (PATCH round-trips) and new ones get a fresh id. */
export function withIds(targets: readonly (Omit<Target, 'id'> & { id?: string | undefined })[]): Target[] {
  return targets.map((t) => ({ ...t, id: t.id ?? newId('tgt') }));
}

/** A policy's target paths are unique, and it has at most MAX_POLICY_TARGETS of them. */
export function checkTargets(targets: readonly Target[]): void {
  if (targets.length > MAX_POLICY_TARGETS) {
    throw new ValidationError(`A policy has at most ${MAX_POLICY_TARGETS} targets.`, [{ path: 'targets', message: `${targets.length} targets; the limit is ${MAX_POLICY_TARGETS}` }]);
  }
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (seen.has(t.path)) throw new ValidationError('Duplicate target path.', [{ path: `targets.${i}.path`, message: `${t.path} is already a target` }]);
    seen.add(t.path);
  });
}

/** A golden-master server must exist in the tenant. */
export async function checkBaselineServer(tenantId: string, baselineServerId: string | null): Promise<void> {
  if (baselineServerId && !(await getServer(tenantId, baselineServerId))) {
    throw new ValidationError('Unknown baseline server.', [{ path: 'baselineServerId', message: `no server ${baselineServerId}` }]);
  }
}

/**
 * A policy is one DynamoDB item (400 KB at most, keys and attribute names included): one that would
 * not fit is a 400 here rather than a failed write. 350,000 bytes of JSON leaves room for the rest.
 */
export const MAX_POLICY_JSON_BYTES = 350_000;

export function checkPolicyFits(policy: Policy): void {
  const bytes = Buffer.byteLength(JSON.stringify(policy));
  if (bytes > MAX_POLICY_JSON_BYTES) {
    throw new ValidationError('The policy is too large to store.', [{ path: 'targets', message: `${bytes} bytes of JSON; the limit is ${MAX_POLICY_JSON_BYTES}` }]);
  }
}
