import { dueAction, type DueTiming } from '../domain/due-work.ts';
import type { ScanSchedule } from '../domain/schedule.ts';
import { deployedVisibilityTimeoutSeconds, enqueueMany } from '../queues/enqueue.ts';
import type { MessageOf } from '../queues/define-queue.ts';
import { alertsQueue, reportsQueue, scanDispatchQueue } from '../queues/queues.ts';
import { logger } from '../shared/logger.ts';
import type { Item } from '../store/db.ts';
import { dueStateOf, forEachDue, moveDueState, type DueItem } from '../store/due-state.ts';
import { groups } from '../store/groups.ts';
import { keys, type Key, type WakeEntry } from '../store/keys.ts';
import { listTenantIds, reportScheduleOf, tenants } from '../store/tenants.ts';
import { redriveCleanups } from './redrive-cleanups.ts';
import { redriveIngests } from './redrive-ingests.ts';
import { wakeAlertDigests, type AlertMessage } from './wake-alert-digests.ts';
import { wakeLabelSync } from './wake-label-sync.ts';

/** Due items handled at once within a page of the wake index (each is one conditional UpdateItem). */
const CLAIMS_IN_FLIGHT = 16;

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
  /** Deleted labels and rules whose lost cleanup message the sweep sent again. */
  cleanupsRedriven: number;
  /** Alert digests whose time came (or whose wake-up was lost). */
  alertDigestsWoken: number;
  /** Tenants whose label sync was due (or whose wake-up was lost). */
  labelSyncsWoken: number;
}

/** One kind of recurring work: where its due state lives, its schedule, and the message that does it. */
interface DueWork<M> {
  key(entry: WakeEntry): Key;
  schedule(item: Item): ScanSchedule;
  /** Read when used: the visibility timeout as deployed (the local stack sets it when it starts). */
  timing(): DueTiming;
  message(entry: WakeEntry, slot: string): M;
}

/** A server group's scheduled scans: the scan-dispatch worker creates one per active server. */
const GROUP_SCANS: DueWork<MessageOf<typeof scanDispatchQueue>> = {
  key: (entry) => keys.group(entry.tenantId, entry.id),
  schedule: (item) => groups.fromItem(item).scanSchedule,
  timing: () => ({ retryMs: deployedVisibilityTimeoutSeconds(scanDispatchQueue) * 1000 }),
  message: (entry, slot) => ({ tenantId: entry.tenantId, groupId: entry.id, slot, kind: 'scheduled' }),
};

/** A tenant's weekly reports: the reports worker writes one per policy with reports on. */
const WEEKLY_REPORTS: DueWork<MessageOf<typeof reportsQueue>> = {
  key: (entry) => keys.tenant(entry.tenantId),
  schedule: (item) => reportScheduleOf(tenants.fromItem(item).settings),
  timing: () => ({ retryMs: deployedVisibilityTimeoutSeconds(reportsQueue) * 1000 }),
  message: (entry, to) => ({ tenantId: entry.tenantId, to }),
};

/**
 * What the minute tick does: read the wake index up to `now` (only the items with work due, never every
 * tenant or group), claim each due slot with a conditional write (two ticks never send one slot twice; a
 * tick after an outage claims the latest slot once), then send the work's message: a server group's
 * scheduled scans go to the scan-dispatch queue, whose worker fans out to the servers; a tenant's weekly
 * reports go to the reports queue. A slot stays owed until its worker reports it done, and the tick sends
 * it again if that takes longer than the queue's visibility timeout (the table is the truth, the queue a
 * wake-up). Then, per tenant, it re-drives uploaded scans whose ingest message was lost (redrive-ingests.ts)
 * and label cleanups whose message was lost (redrive-cleanups.ts),
 * wakes the alert digests whose time has come (wake-alert-digests.ts) and the label sync of tenants whose
 * destinations are due (wake-label-sync.ts).
 */
export async function scheduleTick(now: Date): Promise<TickSummary> {
  const summary: TickSummary = { claimed: 0, resent: 0, lost: 0, ingestsRedriven: 0, cleanupsRedriven: 0, alertDigestsWoken: 0, labelSyncsWoken: 0 };
  await forEachDue(now, async (page) => {
    const dispatches: MessageOf<typeof scanDispatchQueue>[] = [];
    const reports: MessageOf<typeof reportsQueue>[] = [];
    for (let i = 0; i < page.length; i += CLAIMS_IN_FLIGHT) {
      await Promise.all(
        page.slice(i, i + CLAIMS_IN_FLIGHT).map(async (due) => {
          if (due.entry.kind === 'scans') collect(dispatches, await claim(GROUP_SCANS, due, now, summary));
          else collect(reports, await claim(WEEKLY_REPORTS, due, now, summary));
        }),
      );
    }
    if (dispatches.length) await enqueueMany(scanDispatchQueue, dispatches);
    if (reports.length) await enqueueMany(reportsQueue, reports);
  });
  await sweepTenants(now, summary);
  logger.info('schedule tick', { time: now.toISOString(), ...summary });
  return summary;
}

/** The per-tenant sweeps (issues 20, 12, 13 and 14): ingests and label cleanups whose message was lost, alert digests and label syncs due. */
async function sweepTenants(now: Date, summary: TickSummary): Promise<void> {
  const alerts: AlertMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTenantIds(cursor);
    for (const tenantId of page.items) {
      summary.ingestsRedriven += await redriveIngests(tenantId, now);
      summary.cleanupsRedriven += await redriveCleanups(tenantId, now);
      alerts.push(...(await wakeAlertDigests(tenantId, now)));
      if (await wakeLabelSync(tenantId, now)) summary.labelSyncsWoken++;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (alerts.length) await enqueueMany(alertsQueue, alerts);
  summary.alertDigestsWoken = alerts.length;
}

const collect = <M>(list: M[], message: M | undefined) => message !== undefined && list.push(message);

/** Claims the due slot of one item (or the owed one again) and answers its message; nothing when not due or lost to another tick. */
async function claim<M>(work: DueWork<M>, { entry, item }: DueItem, now: Date, summary: TickSummary): Promise<M | undefined> {
  const seen = dueStateOf(item);
  const decision = dueAction(work.schedule(item), seen, now, work.timing());
  if (decision.action === 'none') return undefined;
  if (!(await moveDueState(work.key(entry), entry, seen, decision.next))) {
    summary.lost++;
    return undefined;
  }
  if (decision.action === 'reschedule') return undefined;
  summary[decision.action === 'claim' ? 'claimed' : 'resent']++;
  return work.message(entry, decision.slot);
}
