import type { Policy } from '../model/policy.ts';
import type { PolicyExport } from '../model/policy-export.ts';
import type { PolicyInput } from './create-policy.ts';

/** The portable form of a policy: its settings and targets, without ids, timestamps or the baseline server. */
export function exportPolicy(policy: Policy, now: Date): PolicyExport {
  const { name, description, platform, state, hashAlgorithm, cpuUsage, reports, fullRehashEvery, targets } = policy;
  return {
    format: 'driftwatch-policy',
    version: 1,
    exportedAt: now.toISOString(),
    policy: {
      name,
      ...(description !== undefined ? { description } : {}),
      platform,
      state,
      hashAlgorithm,
      cpuUsage,
      reports,
      fullRehashEvery,
      targets: targets.map(({ id: _id, ...target }) => target),
    },
  };
}

/** What creating a policy from an export takes: new ids are given on create; no baseline server. */
export function policyInputOf(exported: PolicyExport): PolicyInput {
  return { ...exported.policy, baselineServerId: null };
}
