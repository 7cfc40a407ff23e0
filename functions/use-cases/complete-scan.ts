import { AppError, ConflictError, ValidationError } from '../shared/problem.ts';
import { enqueue } from '../queues/enqueue.ts';
import { scanIngestQueue } from '../queues/queues.ts';
import type { CompleteRequest } from '../contract/agent.schemas.ts';
import { existingNodes } from '../store/nodes.ts';
import { removeFromInbox } from '../store/servers.ts';
import { awaitsIngest, recordUpload } from '../store/scans.ts';
import { registerUpload } from '../store/scan-state.ts';
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
 * Finishes an upload with one tree root per policy and hands it to the ingest worker. The upload is
 * recorded (the table is the truth) before the ingest message is sent (a wake-up): if the send is lost,
 * the schedule's sweep finds the scan in its index and sends it again. Repeating `complete` is harmless:
 * a recorded upload is not recorded again, only its ingest woken, and the ingest is idempotent.
 */
export async function completeScan(agent: AgentIdentity, scanId: string, input: CompleteRequest, now: Date): Promise<{ scanId: string; status: string }> {
  const scan = await scanOfAgent(agent, scanId, false);
  if (scan.status === 'completed') return { scanId: scan.id, status: scan.status };
  if (scan.status === 'failed') throw new ConflictError('The scan already failed; start a new one.');
  if (awaitsIngest(scan)) return wakeIngest(agent, scan.id);
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
  // In line under each policy first, so that every recorded upload is known to the scans after it.
  await registerUpload(agent.tenantId, agent.server.id, results.map((r) => r.policyId), scan.id);
  const upload = { results, detectedAt, startedAt: scan.startedAt ?? now.toISOString(), uploadedAt: now.toISOString() };
  if (!(await recordUpload(agent.tenantId, scan.id, upload))) {
    // A concurrent `complete` recorded it first, or the scan closed meanwhile.
    const latest = await scanOfAgent(agent, scan.id, false);
    if (!awaitsIngest(latest)) return { scanId: latest.id, status: latest.status };
  }
  return wakeIngest(agent, scan.id);
}

/** Sends the ingest message of a recorded upload, and takes the scan out of the agent's inbox. */
async function wakeIngest(agent: AgentIdentity, scanId: string): Promise<{ scanId: string; status: string }> {
  await enqueue(scanIngestQueue, { tenantId: agent.tenantId, scanId });
  // Out of the inbox now, so the next check-in does not offer a scan the agent already delivered.
  await removeFromInbox(agent.tenantId, agent.server.id, [scanId]);
  return { scanId, status: 'running' };
}
