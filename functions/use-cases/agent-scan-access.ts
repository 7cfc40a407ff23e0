import { ConflictError, NotFoundError } from '../shared/problem.ts';
import type { Policy } from '../model/policy.ts';
import { getGroup } from '../store/groups.ts';
import { getPolicies } from '../store/policies.ts';
import { getScan, scans, type ScanItem } from '../store/scans.ts';
import type { AgentIdentity } from './agent-identity.ts';

/** The scan, if it belongs to this very server (another server's scan id is a 404, as if absent). */
export async function scanOfAgent(agent: AgentIdentity, scanId: string, open = true): Promise<ScanItem> {
  const scan = await getScan(agent.tenantId, scanId);
  if (!scan || scan.serverId !== agent.server.id) throw new NotFoundError('scan');
  if (open && (scan.status === 'completed' || scan.status === 'failed')) throw new ConflictError(`The scan is already ${scan.status}.`);
  return scan;
}

/** The policies this server runs (its group's), by id. */
export async function policiesOfAgent(agent: AgentIdentity): Promise<Map<string, Policy>> {
  const group = await getGroup(agent.tenantId, agent.server.groupId);
  const policies = await getPolicies(agent.tenantId, group?.policyIds ?? []);
  return new Map(policies.map((p) => [p.id, p]));
}

/** pending -> running on the agent's first upload request; a no-op when already running. */
export async function markScanRunning(tenantId: string, scan: ScanItem, now: Date): Promise<void> {
  if (scan.status !== 'pending') return;
  await scans.update(tenantId, scan.id, { set: { status: 'running', startedAt: now.toISOString() } }, {
    expression: '#status = :pending',
    names: { '#status': 'status' },
    values: { ':pending': 'pending' },
  });
}
