import type { Scan } from '../model/scan.ts';
import type { OptionalAttribute } from '../contract/entry.ts';
import type { ScanStatus } from '../model/enums.ts';
import { keys } from './keys.ts';
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

/** The open states a scan can still leave. */
export const whileOpen = {
  expression: '#status IN (:pending, :running)',
  names: { '#status': 'status' },
  values: { ':pending': 'pending', ':running': 'running' },
};

/** The public shape of a scan (what the agent reported stays internal). */
export function toScan(item: ScanItem): Scan {
  const { results: _results, detectedAt: _detectedAt, ...scan } = item;
  return scan;
}
