import type { Scan } from '../model/scan.ts';
import type { OptionalAttribute } from '../contract/entry.ts';
import type { ScanStatus } from '../model/enums.ts';
import { keys } from './keys.ts';
import { GSI2 } from './table.ts';
import { defineEntity } from './entity.ts';
import type { Page, PageRequest } from './db.ts';
import { listNewestFirst } from './newest-first.ts';

export interface ScanResultRef {
  policyId: string;
  root: string;
  filesScanned: number;
  skipped?: number;
  unreadable?: number;
  /** Absent when an older agent sent the result (it recorded none of the optional attributes). */
  unsupportedAttributes?: OptionalAttribute[];
}

/** The scan item: the public Scan plus what the agent reported, which the ingest worker reads. */
export interface ScanItem extends Scan {
  results?: ScanResultRef[];
  /** When the agent finished walking; events of this scan carry it as detectedAt. */
  detectedAt?: string;
}

/** What the agent's `complete` records: the roots, and from then on the scan awaits its ingest. */
export interface RecordedUpload {
  results: ScanResultRef[];
  detectedAt: string;
  startedAt: string;
  uploadedAt: string;
}

/** A scan whose upload is recorded and whose ingest is not done: the one state the ingest works on. */
export const awaitsIngest = (scan: ScanItem | undefined): scan is ScanItem & RecordedUpload => scan?.status === 'running' && Boolean(scan.results && scan.uploadedAt);

export const scans = defineEntity<ScanItem>({
  name: 'scan',
  key: (tenantId, scanId) => keys.scan(tenantId, scanId),
  idOf: (scan) => scan.id,
  indexes: (tenantId, scan) => keys.scanIndexes(tenantId, scan),
});

/** Scans are read consistently: an agent's next step follows its previous write at once. */
export const getScan = (tenantId: string, scanId: string) => scans.get(tenantId, scanId, { consistent: true });

/** Newest first, across the tenant's scan shards, or one server's scans. */
export async function listScans(tenantId: string, page: PageRequest, filter: { serverId?: string; status?: ScanStatus }): Promise<Page<ScanItem>> {
  const status = filter.status ? { expression: '#status = :status', names: { '#status': 'status' }, values: { ':status': filter.status } } : undefined;
  const query = filter.serverId
    ? { pks: [keys.scansOfServer(tenantId, filter.serverId).pk], index: 'gsi1' as const }
    : { pks: keys.scanShards(tenantId) };
  const scope = `scans:${tenantId}:${filter.serverId ?? '*'}:${filter.status ?? '*'}`;
  const out = await listNewestFirst(scope, { ...query, prefix: 'SCAN#scn_', filter: status }, page);
  return { items: out.items.map(scans.fromItem), nextCursor: out.nextCursor };
}

/**
 * Records the agent's upload, once: a repeated `complete` does not move detectedAt (the order of the
 * server's scans) or uploadedAt. The scan enters the sweep's index (keys.scanAwaitingIngest) in the same
 * write, so a scan is never uploaded without being found again if its ingest message is lost. Answers
 * false when the scan is closed or already recorded.
 */
export async function recordUpload(tenantId: string, scanId: string, upload: RecordedUpload): Promise<boolean> {
  const condition = { ...whileOpen, expression: `${whileOpen.expression} AND attribute_not_exists(results)` };
  const set = { ...upload, status: 'running', ...keys.scanAwaitingIngest(tenantId, scanId, upload.uploadedAt) };
  return (await scans.update(tenantId, scanId, { set }, condition)) !== undefined;
}

/** The sweep enqueued the scan's ingest again at `at`: it looks again only a visibility timeout later. */
export async function markIngestEnqueued(tenantId: string, scanId: string, at: string): Promise<void> {
  const condition = { ...whileOpen, expression: `${whileOpen.expression} AND attribute_exists(${GSI2.partitionKey})` };
  await scans.update(tenantId, scanId, { set: keys.scanAwaitingIngest(tenantId, scanId, at) }, condition);
}

/**
 * Ends an open scan and takes it out of the sweep's index; false when it was not open. A recorded upload
 * is never failed (the backend owes its events, and some may be written already): only its ingest closes it.
 */
export async function closeScan(tenantId: string, scanId: string, set: Partial<ScanItem> & { status: 'completed' | 'failed' }): Promise<boolean> {
  const condition = set.status === 'failed' ? { ...whileOpen, expression: `${whileOpen.expression} AND attribute_not_exists(results)` } : whileOpen;
  return (await scans.update(tenantId, scanId, { set, remove: [GSI2.partitionKey, GSI2.sortKey] }, condition)) !== undefined;
}

/**
 * Scans whose ingest was last enqueued before `before` and has not finished, up to `limit` per shard:
 * what the schedule's sweep re-drives. Read from the sparse index, so its cost is the stuck scans,
 * never the tenant's history.
 */
export async function listScansAwaitingIngest(tenantId: string, before: string, limit: number): Promise<ScanItem[]> {
  const { pks, from, to, index } = keys.scansAwaitingIngest(tenantId, before);
  const pages = await Promise.all(pks.map((pk) => scans.page({ pk, index, from, to }, { limit })));
  return pages.flatMap((p) => p.items);
}

/** The open states a scan can still leave. */
export const whileOpen = {
  expression: '#status IN (:pending, :running)',
  names: { '#status': 'status' },
  values: { ':pending': 'pending', ':running': 'running' },
};

/** The public shape of a scan (what the agent reported stays internal). */
export function toScan(item: ScanItem, now = new Date()): Scan {
  const { results: _results, detectedAt: _detectedAt, ...scan } = item;
  if (scan.status !== 'running' || !scan.startedAt) return scan;
  return { ...scan, runningSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(scan.startedAt)) / 1000)) };
}
