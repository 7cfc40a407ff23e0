import { AppError, ConflictError, ValidationError } from '../shared/problem.ts';
import { enqueue } from '../queues/enqueue.ts';
import { scanIngestQueue } from '../queues/queues.ts';
import type { CompleteRequest } from '../contract/agent.schemas.ts';
import { existingNodes } from '../store/nodes.ts';
import { removeFromInbox } from '../store/servers.ts';
import { scans, whileOpen } from '../store/scans.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { policiesOfAgent, scanOfAgent } from './agent-scan-access.ts';

/** 409 of `complete`: the server lacks some roots, so the agent must sync those trees first. */
export class RootsMissingError extends AppError {
  constructor(readonly missing: string[]) {
    super(409, 'roots-missing', 'Tree not uploaded', 'The server lacks these roots; sync them and complete again.');
  }
  override toProblem(): Record<string, unknown> {
    return { ...super.toProblem(), missing: this.missing };
  }
}

/**
 * Finishes an upload with one tree root per policy and hands it to the ingest worker. Repeating it is
 * harmless: a completed scan answers as such, and the ingest is idempotent.
 */
export async function completeScan(agent: AgentIdentity, scanId: string, input: CompleteRequest, now: Date): Promise<{ scanId: string; status: string }> {
  const scan = await scanOfAgent(agent, scanId, false);
  if (scan.status === 'completed') return { scanId: scan.id, status: scan.status };
  if (scan.status === 'failed') throw new ConflictError('The scan already failed; start a new one.');
  const { results, scannedAt } = input;
  const policies = await policiesOfAgent(agent);
  const seen = new Set<string>();
  results.forEach((r, i) => {
    if (!policies.has(r.policyId) || seen.has(r.policyId)) {
      throw new ValidationError('Each result must name a distinct policy this server runs.', [{ path: `results.${i}.policyId`, message: `unexpected policy ${r.policyId}` }]);
    }
    seen.add(r.policyId);
  });
  const present = await existingNodes(agent.tenantId, results.map((r) => r.root));
  const missing = results.map((r) => r.root).filter((root) => !present.has(root));
  if (missing.length) throw new RootsMissingError(missing);

  const detectedAt = scannedAt && Date.parse(scannedAt) <= now.getTime() ? new Date(scannedAt).toISOString() : now.toISOString();
  const recorded = await scans.update(
    agent.tenantId,
    scan.id,
    { set: { results, detectedAt, status: 'running', startedAt: scan.startedAt ?? now.toISOString() } },
    whileOpen,
  );
  if (!recorded) {
    const latest = await scanOfAgent(agent, scan.id, false);
    return { scanId: latest.id, status: latest.status };
  }
  await enqueue(scanIngestQueue, { tenantId: agent.tenantId, scanId: scan.id });
  // Out of the inbox now, so the next check-in does not offer a scan the agent already delivered.
  await removeFromInbox(agent.tenantId, agent.server.id, [scan.id]);
  return { scanId: scan.id, status: 'running' };
}
