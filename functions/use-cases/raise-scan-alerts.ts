import { config } from '../shared/config.ts';
import { alertWindowOf } from '../domain/alert-timing.ts';
import { scanDigestId, windowDigestId } from '../domain/alert-digest-ids.ts';
import type { Policy } from '../model/policy.ts';
import { enqueue } from '../queues/enqueue.ts';
import { alertsQueue } from '../queues/queues.ts';
import { createDigest, joinWindow } from '../store/alert-digests.ts';
import { getGroup } from '../store/groups.ts';
import type { ScanItem } from '../store/scans.ts';
import type { ServerItem } from '../store/servers.ts';
import type { ScanStats } from '../model/scan.ts';
import { nextWake } from './wake-alert-digests.ts';

/** What the scan changed, by change type. */
type ChangeCounts = Omit<ScanStats, 'filesScanned'>;

/**
 * After a scan's events are stored (and before the scan is marked completed, so a crash re-runs this with
 * the retried ingest): records the scan's alert digest and wakes the alerts worker. A real-time scan joins
 * its server's window digest instead, which the schedule tick sends once the window has ended. Nothing is
 * recorded when nothing changed, when no target of its policies alerts, or when the server's group has no
 * alert profile. Safe to repeat: the digest id derives from the scan, joining a window twice adds nothing.
 */
export async function raiseScanAlerts(tenantId: string, scan: ScanItem, server: ServerItem, policies: readonly Policy[], changes: ChangeCounts, now: Date): Promise<void> {
  if (changes.added + changes.modified + changes.removed + changes.renamed === 0 || !scan.detectedAt) return;
  if (!policies.some((p) => p.targets.some((t) => t.alert))) return;
  const group = await getGroup(tenantId, server.groupId);
  if (!group?.alertProfileIds.length) return;

  const entry = `${scan.detectedAt}|${scan.id}`;
  const about = { serverId: server.id, hostname: server.hostname, groupId: server.groupId, createdAt: now.toISOString() };
  if (scan.kind === 'real-time') {
    const window = alertWindowOf(new Date(scan.detectedAt), config().REALTIME_ALERT_WINDOW_SECONDS);
    // Joined: the tick sends the window when it ends. Refused (its mail already went): mailed on its own below.
    if (await joinWindow(tenantId, { id: windowDigestId(server.id, window), ...about, wakeAt: window.end.toISOString() }, entry)) return;
  }
  const digestId = scanDigestId(scan.id, scan.detectedAt);
  await createDigest(tenantId, { id: digestId, kind: 'scan', status: 'closed', ...about, scans: new Set([entry]), wakeAt: nextWake(now) });
  await enqueue(alertsQueue, { tenantId, digestId });
}
