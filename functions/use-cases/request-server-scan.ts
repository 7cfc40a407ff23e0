import { NotFoundError } from '../shared/problem.ts';
import { DEFAULT_CHECK_IN_SECONDS } from '../model/settings.ts';
import { getServerWithInbox } from '../store/servers.ts';
import { getTenant } from '../store/tenants.ts';
import type { ScanItem } from '../store/scans.ts';
import { requestScan } from './request-scan.ts';

/** A user asks for a scan of one server (on demand, or a baseline rebuild): 404 unless it is active. */
export async function requestServerScan(tenantId: string, serverId: string, kind: 'on-demand' | 'baseline', now: Date): Promise<ScanItem> {
  const [found, tenant] = await Promise.all([getServerWithInbox(tenantId, serverId), getTenant(tenantId)]);
  if (!found) throw new NotFoundError('server');
  const open = { count: found.inbox.length, retryAfterSeconds: tenant?.checkInIntervalSeconds ?? DEFAULT_CHECK_IN_SECONDS };
  const scan = await requestScan(tenantId, found.server, kind, now, open);
  if (!scan) throw new NotFoundError('active server');
  return scan;
}
