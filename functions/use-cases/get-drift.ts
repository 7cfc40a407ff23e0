import { NotFoundError } from '../shared/problem.ts';
import type { DriftItem } from '../model/server.ts';
import { diffEntries, uncomparable } from '../domain/diff.ts';
import { getPolicies } from '../store/policies.ts';
import { getServer } from '../store/servers.ts';
import { listScanStates } from '../store/scan-state.ts';
import { differingEntries } from '../store/tree-diff.ts';

/** The entries of a server that differ from its baseline now, per policy. */
export async function getDrift(tenantId: string, serverId: string): Promise<DriftItem[]> {
  const server = await getServer(tenantId, serverId);
  if (!server) throw new NotFoundError('server');
  const states = await listScanStates(tenantId, serverId);
  const policies = await getPolicies(tenantId, states.map((s) => s.policyId));
  const items: DriftItem[] = [];
  for (const state of states) {
    const policy = policies.find((p) => p.id === state.policyId);
    if (!policy || state.root === state.baselineRoot) continue;
    const { before, after } = await differingEntries(tenantId, state.baselineRoot, state.root);
    const ignoreAttributes = uncomparable(state.baselineRecordedAttributes, state.recordedAttributes);
    for (const change of diffEntries({ before, after, targets: policy.targets, platform: server.platform, ignoreAttributes })) {
      items.push({
        path: change.path,
        policyId: policy.id,
        changeType: change.changeType,
        ...(change.previousPath ? { previousPath: change.previousPath } : {}),
        changedAttributes: change.changedAttributes,
        baseline: change.before,
        current: change.after,
      });
    }
  }
  return items;
}
