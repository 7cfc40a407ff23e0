import { NotFoundError } from '../shared/problem.ts';
import type { ScanKind } from '../model/enums.ts';
import type { ScanItem } from '../store/scans.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { requestScan } from './request-scan.ts';

/** A scan the agent starts itself (its CLI's `scan`, at start, or for real-time changes). */
export async function startAgentScan(agent: AgentIdentity, kind: ScanKind, now: Date): Promise<ScanItem> {
  const scan = await requestScan(agent.tenantId, agent.server, kind, now);
  if (!scan) throw new NotFoundError('active server');
  return scan;
}
