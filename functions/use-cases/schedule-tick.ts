import { dueAction, type DueAction, type DueTiming } from '../domain/due-work.ts';
import { deployedVisibilityTimeoutSeconds, enqueueMany } from '../queues/enqueue.ts';
import type { MessageOf } from '../queues/define-queue.ts';
import { alertsQueue, scanDispatchQueue } from '../queues/queues.ts';
import { logger } from '../shared/logger.ts';
import { dueStateOf, forEachDue, moveDueState, type DueItem } from '../store/due-state.ts';
import { GROUP_SCAN_TIMING, groups } from '../store/groups.ts';
import { keys } from '../store/keys.ts';
import { listTenantIds } from '../store/tenants.ts';
import { redriveIngests } from './redrive-ingests.ts';
import { wakeAlertDigests, type AlertMessage } from './wake-alert-digests.ts';

/** Due items handled at once within a page of the wake index (each is one conditional UpdateItem). */
const CLAIMS_IN_FLIGHT = 16;

type DispatchMessage = MessageOf<typeof scanDispatchQueue>;

/** What the tick did, for its log line and for tests. */
export interface TickSummary {
  /** Slots claimed (new work sent). */
  claimed: number;
  /** Owed slots whose message was sent again (the first was lost, or its work failed). */
  resent: number;
  /** Items another tick or a schedule change moved first. */
  lost: number;
  /** Scans whose lost ingest message the sweep sent again. */
  ingestsRedriven: number;
  /** Alert digests whose time came (or whose wake-up was lost). */
  alertDigestsWoken: number;
}

/**
 * What the minute tick does: read the wake index up to `now` (only the items with work due, never every
 * tenant or group), claim each due slot with a conditional write (two ticks never send one slot twice; a
 * tick after an outage claims the latest slot once), then send the work's message: a server group's
 * scheduled scans go to the scan-dispatch queue, whose worker fans out to the servers. A slot stays owed
 * until its worker reports it done, and the tick sends it again if that takes longer than the queue's
 * visibility timeout (the table is the truth, the queue a wake-up). Then it sweeps each tenant for
 * uploaded scans whose ingest message was lost (redrive-ingests.ts) and wakes its alert digests whose time has come
 * (wake-alert-digests.ts).
 */
export async function scheduleTick(now: Date): Promise<TickSummary> {
  const summary: TickSummary = { claimed: 0, resent: 0, lost: 0, ingestsRedriven: 0, alertDigestsWoken: 0 };
  await forEachDue(now, async (page) => {
    const dispatches: DispatchMessage[] = [];
    for (let i = 0; i < page.length; i += CLAIMS_IN_FLIGHT) {
      await Promise.all(
        page.slice(i, i + CLAIMS_IN_FLIGHT).map(async (due) => {
          const message = await claimGroupScans(due, now, summary);
          if (message) dispatches.push(message);
        }),
      );
    }
    if (dispatches.length) await enqueueMany(scanDispatchQueue, dispatches);
  });
  await sweepTenants(now, summary);
  logger.info('schedule tick', { time: now.toISOString(), ...summary });
  return summary;
}

/** The per-tenant sweeps (issues 20 and 13): ingests whose message was lost, alert digests due. */
async function sweepTenants(now: Date, summary: TickSummary): Promise<void> {
  const alerts: AlertMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTenantIds(cursor);
    for (const tenantId of page.items) {
      summary.ingestsRedriven += await redriveIngests(tenantId, now);
      alerts.push(...(await wakeAlertDigests(tenantId, now)));
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (alerts.length) await enqueueMany(alertsQueue, alerts);
  summary.alertDigestsWoken = alerts.length;
}

/** Resent after the queue's visibility timeout as deployed (read when used: the local stack sets it at start). */
const scanDueTiming = (): DueTiming => ({ ...GROUP_SCAN_TIMING, retryMs: deployedVisibilityTimeoutSeconds(scanDispatchQueue) * 1000 });

/** A group's scheduled scans: claim the due slot (or the owed one again) and answer its dispatch message. */
async function claimGroupScans({ entry, item }: DueItem, now: Date, summary: TickSummary): Promise<DispatchMessage | undefined> {
  const group = groups.fromItem(item);
  const seen = dueStateOf(group);
  const decision = dueAction(group.scanSchedule, seen, now, scanDueTiming());
  if (decision.action === 'none') return undefined;
  if (!(await moveDueState(keys.group(entry.tenantId, entry.id), entry, seen, decision.next, GROUP_SCAN_TIMING))) {
    summary.lost++;
    return undefined;
  }
  return messageOf(decision, summary, (slot) => ({ tenantId: entry.tenantId, groupId: entry.id, slot, kind: 'scheduled' }));
}

/** The message of a claimed or resent slot; nothing for a reschedule. */
function messageOf<M>(decision: Exclude<DueAction, { action: 'none' }>, summary: TickSummary, message: (slot: string) => M): M | undefined {
  if (decision.action === 'reschedule') return undefined;
  summary[decision.action === 'claim' ? 'claimed' : 'resent']++;
  return message(decision.slot);
}
