import { latestLabelSeq } from '../store/label-history.ts';
import { startReportCursor } from '../store/reports.ts';
import { ensureReportSchedule } from '../store/tenants.ts';

/**
 * Reports of a policy start (it is created, or switched, to `reports: true`): its first report covers what
 * is labeled from now on. Written before the policy itself, so a policy with reports on always has its
 * start; the tenant's weekly report time is scheduled if it never was (a tenant from before reports).
 */
export async function startReports(tenantId: string, policyId: string, now: Date): Promise<void> {
  await startReportCursor(tenantId, { policyId, to: now.toISOString(), seq: await latestLabelSeq(tenantId) });
  await ensureReportSchedule(tenantId, now);
}
