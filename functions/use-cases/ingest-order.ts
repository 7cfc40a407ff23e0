import { ingestTurn, type OtherScan } from '../domain/ingest-turn.ts';
import { enqueueMany } from '../queues/enqueue.ts';
import { scanIngestQueue } from '../queues/queues.ts';
import { awaitsIngest, getScan, type RecordedUpload, type ScanItem } from '../store/scans.ts';
import { forgetUploads, getScanOrder, type ScanStateItem } from '../store/scan-state.ts';

/**
 * The order of ingests per server and policy (domain/ingest-turn.ts has the rule and why a newer scan
 * waits rather than superseding): `complete` puts each upload in line (store/scan-state.ts registerUpload),
 * an ingest takes its turn here or waits, and a completed scan leaves the line and wakes the scans behind it.
 */
export type PolicyTurn =
  | { kind: 'applied'; stats: ScanStateItem['lastStats'] }
  | { kind: 'superseded' }
  | { kind: 'go'; applied?: ScanStateItem | undefined; staleClaim?: string | undefined };

/** The scan must wait for another of its server; the other's completion wakes it (releaseTurn). */
export class WaitingForTurnError extends Error {
  constructor(
    readonly scanId: string,
    readonly behind: string,
  ) {
    super(`scan ${scanId} waits for scan ${behind} of the same server to be ingested first`);
    this.name = 'WaitingForTurnError';
  }
}

/** This scan's turn under one policy; throws WaitingForTurnError when another scan comes first. */
export async function takeTurn(tenantId: string, scan: ScanItem & RecordedUpload, serverId: string, policyId: string): Promise<PolicyTurn> {
  const order = await getScanOrder(tenantId, serverId, policyId);
  const ids = new Set(order.uploads);
  if (order.ingestingScanId) ids.add(order.ingestingScanId);
  ids.delete(scan.id);
  const items = new Map(await Promise.all([...ids].map(async (id) => [id, await getScan(tenantId, id)] as const)));
  const other = (id: string): OtherScan => {
    const item = items.get(id);
    return { id, detectedAt: item?.detectedAt, awaitsIngest: awaitsIngest(item), ended: !item || item.status === 'completed' || item.status === 'failed' };
  };
  const self = { id: scan.id, detectedAt: scan.detectedAt };
  const claimant = order.ingestingScanId === undefined ? undefined : order.ingestingScanId === scan.id ? { ...self, awaitsIngest: true, ended: false } : other(order.ingestingScanId);
  const turn = ingestTurn({
    scan: self,
    applied: order.applied && { id: order.applied.lastScanId, detectedAt: order.applied.detectedAt },
    claimant,
    others: order.uploads.filter((id) => id !== scan.id).map(other),
  });
  switch (turn.kind) {
    case 'applied':
      return { kind: 'applied', stats: order.applied!.lastStats };
    case 'wait':
      throw new WaitingForTurnError(scan.id, turn.behind);
    case 'superseded':
      return { kind: 'superseded' };
    case 'go':
      await forgetUploads(tenantId, serverId, policyId, turn.forget);
      return { kind: 'go', applied: order.applied, staleClaim: turn.staleClaim };
  }
}

/** After the scan completed: out of the line of each of its policies, and the scans still in line woken. */
export async function releaseTurn(tenantId: string, scan: ScanItem & RecordedUpload): Promise<void> {
  const remaining = await Promise.all(scan.results.map((r) => forgetUploads(tenantId, scan.serverId, r.policyId, [scan.id])));
  const waiting = [...new Set(remaining.flat())];
  if (waiting.length > 0) await enqueueMany(scanIngestQueue, waiting.map((scanId) => ({ tenantId, scanId })));
}
