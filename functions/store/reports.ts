import type { Report } from '../model/report.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';
import { batchPut, batchWrite } from './batch.ts';
import { queryAll, updateItem, type Condition, type Page, type PageRequest } from './db.ts';

/**
 * Weekly reports. The zipped CSV is stored in the table, in parts of PART_BYTES (a report can outgrow
 * DynamoDB's 400 KB item), in the report's own partition; the report item (its metadata) is written after
 * its parts, so a listed report is always whole. A report's id derives from its policy and report time and
 * its bytes from its rows, so writing it again (a redelivered message) writes the same items.
 * Why the table and not S3: no S3-compatible server that runs on Node 20/22 from our registries is kept up
 * (s3rver's last release predates Node 20, its maintained fork needs Node 24), the local stack runs only
 * stand-ins speaking the real protocols, and a zipped week of label history is small (CSV compresses ~10x).
 */
export const PART_BYTES = 350_000;

/** The report item: the served report plus where its bytes are and which label records it covers. */
export interface ReportItem extends Report {
  parts: number;
  /** Label record sequence numbers covered: after `seqAfter`, up to `seqUpTo` included. */
  seqAfter: number;
  seqUpTo: number;
  /** Set when a DELETE started: the report is gone for readers while its parts are removed. */
  deletedAt?: string;
}

export const reports = defineEntity<ReportItem>({
  name: 'report',
  key: (tenantId, reportId) => keys.report(tenantId, reportId),
  idOf: (report) => report.id,
  indexes: (tenantId, report) => keys.reportIndexes(tenantId, report),
});

/** The served report. */
export function toReport(item: ReportItem): Report {
  const { parts: _parts, seqAfter: _after, seqUpTo: _upTo, deletedAt: _deleted, ...report } = item;
  return report;
}

/** A report that exists and is not being deleted. */
export async function getReport(tenantId: string, reportId: string): Promise<ReportItem | undefined> {
  const item = await reports.get(tenantId, reportId, { consistent: true });
  return item && !item.deletedAt ? item : undefined;
}

const notDeleted: Condition = { expression: 'attribute_not_exists(deletedAt)' };

/** Newest first (ids are ordered by report time), of a policy or of the whole tenant. */
export async function listReports(tenantId: string, page: PageRequest, policyId?: string): Promise<Page<ReportItem>> {
  const query = policyId ? keys.reportsOfPolicy(tenantId, policyId) : keys.reports(tenantId);
  return reports.page({ ...query, forward: false, filter: notDeleted }, page);
}

/**
 * Writes the zipped bytes of a report as they come, part by part: `append` them, `flush` now and then
 * (full parts are written, 8 to a BatchWriteItem), `close` to write the rest. Answers counts for the report item.
 */
export class ReportPartWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private ready: Uint8Array[] = [];
  parts = 0;
  bytes = 0;

  constructor(
    private readonly tenantId: string,
    private readonly reportId: string,
  ) {}

  append(chunk: Uint8Array): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.bytes += chunk.length;
    while (this.pendingBytes >= PART_BYTES) this.cut(PART_BYTES);
  }

  /** Writes the full parts gathered so far once there are enough for one request. */
  async flush(): Promise<void> {
    if (this.ready.length >= 8) await this.write();
  }

  /** Writes every part, the last (short) one included. */
  async close(): Promise<{ parts: number; bytes: number }> {
    if (this.pendingBytes > 0 || this.parts + this.ready.length === 0) this.cut(this.pendingBytes);
    await this.write();
    return { parts: this.parts, bytes: this.bytes };
  }

  private cut(size: number): void {
    const all = Buffer.concat(this.pending);
    this.ready.push(all.subarray(0, size));
    const rest = all.subarray(size);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
  }

  private async write(): Promise<void> {
    const items = this.ready.map((data, i) => ({ ...keys.reportPart(this.tenantId, this.reportId, this.parts + i), data }));
    this.parts += this.ready.length;
    this.ready = [];
    if (items.length) await batchPut(items, { parallel: 2 });
  }
}

/** The zip of a report, its parts read in order (a Query returns up to 1 MB a page: about three parts). */
export async function readReportBytes(tenantId: string, report: ReportItem): Promise<Buffer> {
  const parts = await queryAll<{ sk: string; data: Uint8Array }>({ ...keys.reportParts(tenantId, report.id), consistent: true });
  if (parts.length !== report.parts) throw new Error(`report ${report.id} has ${parts.length} of its ${report.parts} parts`);
  return Buffer.concat(parts.map((p) => p.data));
}

/**
 * Deletes a report: marked deleted first (gone for readers at once), then its parts, then the item, so a
 * DELETE repeated after a crash finishes the job. False when there was no such report.
 */
export async function deleteReport(tenantId: string, reportId: string, now: Date): Promise<boolean> {
  const marked = await reports.update(tenantId, reportId, { set: { deletedAt: now.toISOString() } }, { expression: 'attribute_exists(pk)' });
  if (!marked) return false;
  const parts = await queryAll<{ pk: string; sk: string }>({ ...keys.reportParts(tenantId, reportId) });
  await batchWrite(parts.map((p) => ({ DeleteRequest: { Key: { pk: p.pk, sk: p.sk } } })));
  await reports.remove(tenantId, reportId);
  return true;
}

/**
 * Where a policy's next report starts: `to`, the previous report time (or when reports were enabled), and
 * `seq`, the last label record sequence number reported. `pendingTo`/`pendingSeq` fix the window of a
 * report being written, once, so every attempt at it writes the same rows.
 */
export interface ReportCursor {
  policyId: string;
  to: string;
  seq: number;
  pendingTo?: string;
  pendingSeq?: number;
}

const cursors = defineEntity<ReportCursor>({
  name: 'report cursor',
  key: (tenantId, policyId) => keys.reportCursor(tenantId, policyId),
  idOf: (cursor) => cursor.policyId,
});

export const getReportCursor = (tenantId: string, policyId: string) => cursors.get(tenantId, policyId, { consistent: true });

/** Reports of the policy start at `to` and after record `seq` (reports enabled now; a re-enable starts afresh). */
export const startReportCursor = (tenantId: string, cursor: Pick<ReportCursor, 'policyId' | 'to' | 'seq'>) => cursors.put(tenantId, cursor);

/** Reports of a policy stored before report cursors existed start at its creation and its oldest record. */
export const createReportCursorIfMissing = (tenantId: string, cursor: Pick<ReportCursor, 'policyId' | 'to' | 'seq'>) => cursors.create(tenantId, cursor);

/**
 * Fixes the window of the report at `to`: its records are those after `seen.seq` up to `upTo` (a later
 * attempt at the same report keeps this bound, so every attempt writes the same rows). A window fixed for
 * an older report time that never finished is replaced. False when the cursor moved since it was read.
 */
export async function fixReportWindow(tenantId: string, seen: ReportCursor, to: string, upTo: number): Promise<boolean> {
  const condition: Condition = {
    expression: '#to = :seenTo AND #seq = :seenSeq AND (attribute_not_exists(pendingTo) OR pendingTo < :to)',
    names: { '#to': 'to', '#seq': 'seq' },
    values: { ':seenTo': seen.to, ':seenSeq': seen.seq, ':to': to },
  };
  return (await updateItem(keys.reportCursor(tenantId, seen.policyId), { set: { pendingTo: to, pendingSeq: upTo } }, condition)) !== undefined;
}

/** The report at `pendingTo` is written: the next one starts there. False when another attempt moved it first. */
export async function advanceReportCursor(tenantId: string, policyId: string, to: string, seq: number): Promise<boolean> {
  const moved = await updateItem(
    keys.reportCursor(tenantId, policyId),
    { set: { to, seq }, remove: ['pendingTo', 'pendingSeq'] },
    { expression: 'pendingTo = :to', values: { ':to': to } },
  );
  return moved !== undefined;
}
