import { dueSlot } from '../domain/schedule.ts';
import { enqueueMany } from '../queues/enqueue.ts';
import { alertsQueue, scanDispatchQueue } from '../queues/queues.ts';
import type { MessageOf } from '../queues/define-queue.ts';
import { logger } from '../shared/logger.ts';
import { listGroups } from '../store/groups.ts';
import { listTenantIds } from '../store/tenants.ts';
import { redriveIngests } from './redrive-ingests.ts';
import { wakeAlertDigests, type AlertMessage } from './wake-alert-digests.ts';
import { wakeLabelSync } from './wake-label-sync.ts';

/**
 * What the minute tick does: decide which server groups have a scan slot due at `now` and hand each to
 * the scan-dispatch queue (the fan-out to servers happens there, in parallel); sweep each tenant for work
 * whose message was lost (the table is the truth, the queue a wake-up: docs/architecture.md); and wake the
 * alert digests whose time has come (real-time windows that ended, held-back summaries, lost wake-ups) and the
 * label sync of tenants whose destinations are due (wake-label-sync.ts).
 */
export async function scheduleTick(now: Date): Promise<void> {
  const due: MessageOf<typeof scanDispatchQueue>[] = [];
  const alerts: AlertMessage[] = [];
  let ingestsRedriven = 0;
  let labelSyncsWoken = 0;
  let cursor: string | undefined;
  do {
    const page = await listTenantIds(cursor);
    for (const tenantId of page.items) {
      for (const group of await listGroups(tenantId)) {
        const slot = dueSlot(group.scanSchedule, now, group.lastScheduledSlot);
        if (slot) due.push({ tenantId, groupId: group.id, slot: slot.toISOString(), kind: 'scheduled' });
      }
      ingestsRedriven += await redriveIngests(tenantId, now);
      alerts.push(...(await wakeAlertDigests(tenantId, now)));
      if (await wakeLabelSync(tenantId, now)) labelSyncsWoken++;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (due.length) await enqueueMany(scanDispatchQueue, due);
  if (alerts.length) await enqueueMany(alertsQueue, alerts);
  logger.info('schedule tick', { time: now.toISOString(), groupsDue: due.length, ingestsRedriven, alertDigestsWoken: alerts.length, labelSyncsWoken });
}
