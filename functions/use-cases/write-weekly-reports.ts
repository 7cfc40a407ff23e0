import { deterministicId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import type { Policy } from '../model/policy.ts';
import { reportFileName, reportRow, ReportZipWriter } from '../domain/report-file.ts';
import { keys } from '../store/keys.ts';
import { latestLabelSeq, listLabelRecords } from '../store/label-history.ts';
import { policies } from '../store/policies.ts';
import { advanceReportCursor, createReportCursorIfMissing, fixReportWindow, getReportCursor, ReportPartWriter, reports, type ReportCursor } from '../store/reports.ts';
import { finishReportSlot } from '../store/tenants.ts';

export interface ReportsMessage {
  tenantId: string;
  /** The weekly report time (ISO) the reports are written for. */
  to: string;
}

/** How far back a report looks for records by their time: label history keeps 30 days (a day's margin). */
const LOOKBACK_MS = 31 * 86_400_000;

/** The id of a policy's report at one report time: the same for every attempt. */
export const reportIdOf = (policyId: string, to: string) => deterministicId('rpt', new Date(to), `${policyId}\n${to}`);

/**
 * The weekly reports of a tenant at report time `to`: for each policy with `reports: true`, every label
 * history record of the policy written since its previous report (by the records' write sequence, so a
 * record applied earlier but written late, like a rule label of a scan uploaded days later, is in the
 * next report and never lost). Produced once however often the message is delivered: each policy's window
 * is fixed on its cursor before the file is written, the report's id and bytes follow from it, and the
 * cursor moves on last. Then the tenant's report time stops being owed. Answers the reports written.
 */
export async function writeWeeklyReports({ tenantId, to }: ReportsMessage): Promise<number> {
  const reporting = (await policies.all(keys.policies(tenantId))).filter((p) => p.reports);
  let written = 0;
  for (const policy of reporting) if (await writePolicyReport(tenantId, policy, to)) written++;
  await finishReportSlot(tenantId, to);
  logger.info('weekly reports written', { tenantId, to, policies: reporting.length, written });
  return written;
}

/** The report of one policy at `to`; false when there is nothing to write (written already, or reports enabled after `to`). */
async function writePolicyReport(tenantId: string, policy: Policy, to: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cursor = await getReportCursor(tenantId, policy.id);
    if (!cursor) {
      await createReportCursorIfMissing(tenantId, { policyId: policy.id, to: policy.createdAt, seq: 0 });
      continue;
    }
    if (cursor.to >= to) return false;
    if (cursor.pendingTo !== to) {
      await fixReportWindow(tenantId, cursor, to, await latestLabelSeq(tenantId));
      continue;
    }
    await writeReportFile(tenantId, policy, cursor as Required<ReportCursor>);
    await advanceReportCursor(tenantId, policy.id, to, cursor.pendingSeq!);
    return true;
  }
  throw new Error(`the report cursor of policy ${policy.id} kept moving`);
}

/** Writes the report of a fixed window, unless an earlier attempt did: its parts, then its item. */
async function writeReportFile(tenantId: string, policy: Policy, window: Required<ReportCursor>): Promise<void> {
  const { to: from, seq: seqAfter, pendingTo: to, pendingSeq: seqUpTo } = window;
  const id = reportIdOf(policy.id, to);
  if (await reports.get(tenantId, id, { consistent: true })) return;
  const fileName = reportFileName(policy.id, from, to);
  const parts = new ReportPartWriter(tenantId, id);
  const zip = new ReportZipWriter(fileName, new Date(to), (chunk) => parts.append(chunk));
  const filter = { policyId: policy.id, from: new Date(Date.parse(to) - LOOKBACK_MS).toISOString(), seqAfter, seqUpTo };
  let cursor: string | undefined;
  do {
    // Expiry judged at the report time, so every attempt reads the same records.
    const page = await listLabelRecords(tenantId, filter, { limit: 500, cursor }, { now: new Date(to), applyCap: false });
    zip.add(page.items.map(reportRow));
    await parts.flush();
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  zip.finish();
  const stored = await parts.close();
  await reports.create(tenantId, {
    id,
    policyId: policy.id,
    from,
    to,
    rowCount: zip.rows,
    createdAt: new Date().toISOString(),
    sizeBytes: stored.bytes,
    fileName: `${fileName}.zip`,
    parts: stored.parts,
    seqAfter,
    seqUpTo,
  });
}
