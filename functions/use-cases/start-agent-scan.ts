import { NotFoundError } from '../shared/problem.ts';
import type { ScanKind } from '../model/enums.ts';
import { scans, type ScanItem } from '../store/scans.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { requestScan } from './request-scan.ts';

/**
 * A scan the agent starts itself (its CLI's `scan`, at start, or for real-time changes). A request
 * folds into a scan of the same kind that is still pending on this server (requested, not started):
 * that scan answers it, as the check-in already does for `agent-start`, so repeating the request adds
 * nothing. A scan the agent already started is never handed out again (its uploads are under way).
 * Past MAX_OPEN_SCANS open scans the request is a 429 (requestScan).
 */
export async function startAgentScan(agent: AgentIdentity, kind: ScanKind, now: Date): Promise<ScanItem> {
  const { tenantId, server, inbox, tenant } = agent;
  const sameKind = inbox.filter((entry) => entry.kind === kind).map((entry) => entry.scanId);
  if (sameKind.length) {
    const pending = (await scans.getMany(tenantId, sameKind)).filter((scan) => scan.status === 'pending' && scan.serverId === server.id);
    const oldest = pending.sort((a, b) => (a.id < b.id ? -1 : 1))[0];
    if (oldest) return oldest;
  }
  const scan = await requestScan(tenantId, server, kind, now, { count: inbox.length, retryAfterSeconds: tenant.checkInIntervalSeconds });
  if (!scan) throw new NotFoundError('active server');
  return scan;
}
