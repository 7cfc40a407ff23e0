import { asPolicyTarget, POLICY_TEMPLATES } from '../domain/policy-templates.ts';
import { isMonitored, recommend, type RecommendedTemplate } from '../domain/recommendations.ts';
import type { Policy } from '../model/policy.ts';
import type { AppliedRecommendations, Recommendations } from '../model/recommendation.ts';
import { NotFoundError, ValidationError } from '../shared/problem.ts';
import { getGroup } from '../store/groups.ts';
import { getPolicies } from '../store/policies.ts';
import { getServer, type ServerItem } from '../store/servers.ts';
import { addPolicyTargets } from './add-policy-targets.ts';

/** The server, its group's policies and what is recommended to it: one read each (server, group, policies). */
async function load(tenantId: string, serverId: string): Promise<{ server: ServerItem; policies: Policy[]; templates: RecommendedTemplate[] }> {
  const server = await getServer(tenantId, serverId);
  if (!server) throw new NotFoundError('server');
  const group = await getGroup(tenantId, server.groupId);
  const policies = await getPolicies(tenantId, group?.policyIds ?? []);
  const templates = recommend(POLICY_TEMPLATES, server, policies.flatMap((p) => p.targets));
  return { server, policies, templates };
}

/** The templates and targets that apply to the software the server runs and that its group's policies do not monitor yet. */
export async function getRecommendations(tenantId: string, serverId: string): Promise<Recommendations> {
  const { server, templates } = await load(tenantId, serverId);
  return { serverId: server.id, platform: server.platform, software: server.software ?? null, templates };
}

/**
 * Adds recommended targets (all, or the paths named) to one of the server group's policies. A named path
 * that is not recommended now (unknown, or monitored already) is a 400 and nothing is added.
 */
export async function applyRecommendations(tenantId: string, serverId: string, input: { policyId: string; targetPaths?: string[] | undefined }, now: Date): Promise<AppliedRecommendations> {
  const { server, policies, templates } = await load(tenantId, serverId);
  const policy = policies.find((p) => p.id === input.policyId);
  if (!policy) throw new ValidationError("The policy is not one of the server group's policies.", [{ path: 'policyId', message: `add ${input.policyId} to the server's group first` }]);
  if (policy.platform !== server.platform) throw new ValidationError('The policy is for another platform.', [{ path: 'policyId', message: `${policy.platform} policy, ${server.platform} server` }]);
  const recommended = templates.flatMap((t) => t.targets);
  const wanted = input.targetPaths ?? recommended.map((t) => t.path);
  const errors = wanted.flatMap((path, i) => (recommended.some((t) => t.path === path) ? [] : [{ path: `targetPaths.${i}`, message: `${path} is not recommended to this server now` }]));
  if (errors.length) throw new ValidationError('Some paths are not among the recommendations.', errors);
  const chosen = recommended.filter((t) => wanted.includes(t.path));
  const { added } = await addPolicyTargets(
    tenantId,
    policy.id,
    // Re-checked against the policy as it is at write time: a target added meanwhile is not added twice.
    (current) => ({ targets: chosen.filter((t) => !isMonitored(t, current.targets, server.platform)).map(({ because: _b, ...t }) => asPolicyTarget(t)), result: null }),
    now,
  );
  return { policyId: policy.id, added };
}
