import { removeFromInbox } from '../store/servers.ts';
import { scans, whileOpen, type ScanItem } from '../store/scans.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { scanOfAgent } from './agent-scan-access.ts';

/** The agent could not run the scan: it ends `failed` with the agent's reason. */
export async function failScan(agent: AgentIdentity, scanId: string, error: string, now: Date): Promise<ScanItem> {
  const scan = await scanOfAgent(agent, scanId);
  await scans.update(agent.tenantId, scan.id, { set: { status: 'failed', completedAt: now.toISOString(), error } }, whileOpen);
  await removeFromInbox(agent.tenantId, agent.server.id, [scan.id]);
  return scanOfAgent(agent, scan.id, false);
}
