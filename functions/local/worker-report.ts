import type { SQSRecord } from 'aws-lambda';
import { scanIngestQueue } from '../queues/queues.ts';
import type { LocalLog } from './local-log.ts';
import type { BatchReport } from './queue-poller.ts';

/** What the report needs of a scan after its ingest (read from the store). */
export interface IngestedScan {
  status: string;
  serverId: string;
  stats?: { filesScanned: number; added: number; modified: number; removed: number; renamed: number };
}

export type ScanLookup = (tenantId: string, scanId: string) => Promise<IngestedScan | undefined>;

/**
 * What `npm start` says about the workers' runs, read at the poller/worker boundary (the workers and
 * use cases stay as Lambda runs them): one line per scan the ingest worker finished (info), one per
 * ingest that failed and will be retried (warn), and one per batch of any queue (debug).
 */
export function workerReporter(o: { log: LocalLog; getScan: ScanLookup; maxReceiveCount: (queue: string) => number | undefined }) {
  return async (report: BatchReport): Promise<void> => {
    const failedCount = report.failed === 'all' ? report.records.length : report.failed.size;
    o.log('debug', `${report.queue}: ${report.records.length} message(s), ${failedCount} failed, ${Math.round(report.ms)} ms`, {
      messages: report.records.map((r) => r.messageId).join(','),
    });
    if (report.queue !== scanIngestQueue.name) return;
    for (const record of report.records) {
      const message = ingestMessage(record);
      if (!message) continue;
      const failed = report.failed === 'all' || report.failed.has(record.messageId);
      if (failed) {
        const delivery = `delivery ${record.attributes.ApproximateReceiveCount} of ${o.maxReceiveCount(report.queue) ?? '?'}`;
        o.log('warn', `scan ${message.scanId} not ingested (${delivery}); it will be retried, and goes to the DLQ after the last delivery`);
        continue;
      }
      const scan = await o.getScan(message.tenantId, message.scanId).catch(() => undefined);
      o.log('info', describeIngest(message.scanId, scan), { server: scan?.serverId, tenant: message.tenantId });
    }
  };
}

function ingestMessage(record: SQSRecord): { tenantId: string; scanId: string } | undefined {
  try {
    const parsed = scanIngestQueue.message.safeParse(JSON.parse(record.body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function describeIngest(scanId: string, scan: IngestedScan | undefined): string {
  if (!scan) return `scan ${scanId} ingested`;
  if (scan.status !== 'completed') return `scan ${scanId} ingest ran; the scan is ${scan.status}`;
  const s = scan.stats;
  if (!s) return `scan ${scanId} ingested`;
  const changes = s.added + s.modified + s.removed + s.renamed;
  return `scan ${scanId} ingested: ${changes} change(s) (${s.added} added, ${s.modified} modified, ${s.removed} removed, ${s.renamed} renamed) in ${s.filesScanned} file(s)`;
}
