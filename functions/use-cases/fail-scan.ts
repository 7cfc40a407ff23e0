import { removeFromInbox } from '../store/servers.ts';
import { ConflictError } from '../shared/problem.ts';
import { awaitsIngest, closeScan, type ScanItem } from '../store/scans.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { scanOfAgent } from './agent-scan-access.ts';

/** The agent could not run the scan: it ends `failed` with the agent's reason. */
export async function failScan(agent: AgentIdentity, scanId: string, error: string, now: Date): Promise<ScanItem> {
  const scan = await scanOfAgent(agent, scanId);
  // Once its upload is recorded, the backend owes its events: the ingest completes it, nothing fails it.
  if (awaitsIngest(scan)) throw new ConflictError('The scan was delivered; its ingest completes it.');
  await closeScan(agent.tenantId, scan.id, { status: 'failed', completedAt: now.toISOString(), error });
  await removeFromInbox(agent.tenantId, agent.server.id, [scan.id]);
  return scanOfAgent(agent, scan.id, false);
}
