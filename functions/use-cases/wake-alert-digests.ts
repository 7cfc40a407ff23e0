import { alertsQueue } from '../queues/queues.ts';
import type { MessageOf } from '../queues/define-queue.ts';
import { deployedVisibilityTimeoutSeconds } from '../queues/enqueue.ts';
import { dueDigests, rescheduleDigest } from '../store/alert-digests.ts';

export type AlertMessage = MessageOf<typeof alertsQueue>;

/** The alerts queue's visibility timeout as deployed (the local stack's is seconds, the cloud's minutes). */
const visibilityMs = () => deployedVisibilityTimeoutSeconds(alertsQueue) * 1000;

/**
 * How long after a digest's wake-up it is woken again if it is still not done: longer than the alerts
 * queue's visibility timeout, so a message still in flight is not doubled, while one that a crash dropped
 * is sent again by the next tick after that.
 */
export const digestRewakeMs = (): number => visibilityMs() + 60_000;

/** After a refused mail, the queue's own retries (maxReceiveCount deliveries) own the digest this long. */
export const digestRetrySpanMs = (): number => alertsQueue.maxReceiveCount * visibilityMs() + 60_000;

/** The wake time of a digest woken at `now`. */
export const nextWake = (now: Date): string => new Date(now.getTime() + digestRewakeMs()).toISOString();

/**
 * The schedule tick's sweep of one tenant: every pending digest whose time has come (a real-time window that
 * ended, a held-back summary due, a wake-up that a crash lost) gets a new wake time, then the messages to send.
 */
export async function wakeAlertDigests(tenantId: string, now: Date): Promise<AlertMessage[]> {
  const due = await dueDigests(tenantId, now);
  const woken: AlertMessage[] = [];
  for (let i = 0; i < due.length; i += 25) {
    const moved = await Promise.all(due.slice(i, i + 25).map(async (d) => ((await rescheduleDigest(tenantId, d.id, nextWake(now))) ? d.id : undefined)));
    for (const digestId of moved) if (digestId) woken.push({ tenantId, digestId });
  }
  return woken;
}
