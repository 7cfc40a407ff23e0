import type { Event } from '../model/event.ts';
import { fillDelivery, MAX_EVENTS_PER_DELIVERY, type SyncedEvent } from '../domain/sync-payload.ts';
import { retryDelayMs } from '../domain/sync-timing.ts';
import { signatureHeaders } from '../domain/webhook-signature.ts';
import type { DestinationPolicy } from '../domain/destination-url.ts';
import { deployedPolicy, type Resolver } from '../shared/destination-guard.ts';
import { newId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { DeliveryError, postWebhook, type PostOutcome } from '../shared/webhook-post.ts';
import type { Changes } from '../store/db.ts';
import { getEvents } from '../store/events.ts';
import { finishSyncRun, leaseSyncDestination, type SyncDestinationItem } from '../store/sync-destinations.ts';
import { closeBatch, getOpenBatch, markDone, openBatch, outboxItems, owedItems, updateOpenBatch, type OpenBatch, type OutboxItem } from '../store/sync-outbox.ts';
import { signingSecrets } from './destination-secrets.ts';
import { withCurrentLabelNames } from './label-events.ts';

/** The whole exchange with a receiver, connect to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** A run stops starting batches after this long (the rest continues in a new run at once)... */
const RUN_BUDGET_MS = 60_000;
const MAX_BATCHES_PER_RUN = 20;
/** ...and holds the destination at most this long: the worker's own timeout, after which it is gone anyway. */
const LEASE_MS = 120_000;

export interface DeliveryDeps {
  post?: (url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; policy: DestinationPolicy; resolve?: Resolver }) => Promise<PostOutcome>;
  policy?: DestinationPolicy;
  random?: () => number;
}

/** How one run ended for a destination: `owed-again` when another run must follow (work left, or asked for meanwhile). */
export type RunResult = 'done' | 'owed-again' | 'busy';

type Step = { kind: 'empty' } | { kind: 'delivered'; events: number } | { kind: 'gone' } | { kind: 'failed'; error: string; retryAfterSeconds?: number | undefined };

/**
 * The second half of a label sync, for one destination that is owed a run: under its lease, batch after batch
 * of what its outbox owes (oldest first, at most 500 events or 1 MB each) is POSTed, signed. A 2xx marks the
 * batch's items delivered; anything else ends the run, and the destination is tried again after a backoff
 * (the same batch, same webhook-id); a 410 disables it. Destinations are delivered to independently: this
 * run touches no other destination and waits for no other.
 */
export async function deliverLabeledEvents(tenantId: string, destinationId: string, now: Date, deps: DeliveryDeps = {}): Promise<RunResult> {
  const dest = await leaseSyncDestination(tenantId, destinationId, now.getTime(), now.getTime() + LEASE_MS);
  if (!dest) return 'busy';
  const owedSeen = dest.owedAt;
  if (!owedSeen || !dest.enabled) {
    await finishSyncRun(tenantId, destinationId, {}, owedSeen);
    return 'done';
  }
  const at = now.toISOString();
  let outcome: Changes = { set: { lastAttemptAt: at, retryAt: null, consecutiveFailures: 0 } };
  let workLeft = false;
  const started = Date.now();
  try {
    const secrets = signingSecrets(tenantId, dest, now);
    for (let n = 0; ; n++) {
      if (n >= MAX_BATCHES_PER_RUN || Date.now() - started > RUN_BUDGET_MS) {
        workLeft = true;
        break;
      }
      const step = await deliverOneBatch(tenantId, dest, secrets, now, deps);
      if (step.kind === 'empty') break;
      if (step.kind === 'delivered') {
        if (step.events > 0) outcome = { set: { lastAttemptAt: at, lastSuccessAt: at, lastError: null, lastErrorAt: null, consecutiveFailures: 0, retryAt: null } };
        continue;
      }
      const failures = dest.consecutiveFailures + 1;
      if (step.kind === 'gone') {
        outcome = { set: { lastAttemptAt: at, enabled: false, disabledReason: `the destination answered 410 Gone at ${at}`, lastError: 'HTTP 410 Gone', lastErrorAt: at, consecutiveFailures: failures, retryAt: null } };
      } else {
        const retryAt = new Date(now.getTime() + retryDelayMs(failures, deps.random, step.retryAfterSeconds)).toISOString();
        outcome = { set: { lastAttemptAt: at, lastError: step.error, lastErrorAt: at, consecutiveFailures: failures, retryAt } };
      }
      logger.warn('label sync delivery failed', { tenantId, destinationId, error: step.kind === 'gone' ? 'HTTP 410 Gone' : step.error, consecutiveFailures: failures });
      break;
    }
  } catch (error) {
    // The store or the secrets failed, not the receiver: let go of the destination and fail the message (retried).
    await finishSyncRun(tenantId, destinationId, {}, owedSeen, owedSeen);
    throw error;
  }
  return (await finishSyncRun(tenantId, destinationId, outcome, owedSeen, workLeft ? at : undefined)) ? 'owed-again' : 'done';
}

/** Delivers the open batch, or opens the next one from the outbox: one POST at most. */
async function deliverOneBatch(tenantId: string, dest: SyncDestinationItem, secrets: string[], now: Date, deps: DeliveryDeps): Promise<Step> {
  let batch = await getOpenBatch(tenantId, dest.id);
  if (!batch) {
    const owed = await owedItems(tenantId, dest.id, MAX_EVENTS_PER_DELIVERY);
    if (owed.length === 0) return { kind: 'empty' };
    const opened: OpenBatch = { id: newId('msg', now), recordIds: owed.map((i) => i.recordId), createdAt: now.toISOString(), attempts: 0 };
    batch = (await openBatch(tenantId, dest.id, opened)) ? opened : await getOpenBatch(tenantId, dest.id);
    if (!batch) return { kind: 'empty' };
  }
  const items = await outboxItems(tenantId, dest.id, batch.recordIds);
  const { synced, skipped } = await eventsOf(tenantId, items);
  if (synced.length === 0) {
    await markDone(tenantId, dest.id, skipped, 'skipped', now);
    await closeBatch(tenantId, dest.id, batch.id);
    return { kind: 'delivered', events: 0 };
  }
  const { taken, body } = fillDelivery({ tenantId, sentAt: now.toISOString(), deliveryId: batch.id, format: dest.format }, synced.map((s) => s.synced));
  const sent = synced.slice(0, taken).flatMap((s) => s.items);
  if (taken < synced.length) {
    // Over the size limit: the rest leaves this batch (still owed) so the webhook-id names exactly what it carries.
    await updateOpenBatch(tenantId, dest.id, batch.id, { recordIds: [...sent, ...skipped].map((i) => i.recordId) });
  }
  let answer: PostOutcome;
  try {
    const headers = signatureHeaders({ id: batch.id, at: now, body, secrets });
    answer = await (deps.post ?? postWebhook)(dest.url, body, headers, { timeoutMs: DELIVERY_TIMEOUT_MS, policy: deps.policy ?? deployedPolicy() });
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    await updateOpenBatch(tenantId, dest.id, batch.id, { attempts: batch.attempts + 1 });
    return { kind: 'failed', error: error.message };
  }
  if (answer.status >= 200 && answer.status < 300) {
    await markDone(tenantId, dest.id, sent, 'delivered', now);
    await markDone(tenantId, dest.id, skipped, 'skipped', now);
    await closeBatch(tenantId, dest.id, batch.id);
    return { kind: 'delivered', events: taken };
  }
  if (answer.status === 410) return { kind: 'gone' };
  await updateOpenBatch(tenantId, dest.id, batch.id, { attempts: batch.attempts + 1 });
  return { kind: 'failed', error: `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText.slice(0, 80)}` : ''}`, retryAfterSeconds: answer.retryAfterSeconds };
}

/**
 * The events of a batch's items, each event once with the labels it reports, in the order of the items; items
 * whose event is gone or no longer carries that application (removed, or replaced by a newer one) are skipped.
 */
async function eventsOf(tenantId: string, items: readonly OutboxItem[]): Promise<{ synced: Array<{ synced: SyncedEvent; items: OutboxItem[] }>; skipped: OutboxItem[] }> {
  const found = await withCurrentLabelNames(tenantId, await getEvents(tenantId, [...new Set(items.map((i) => i.eventId))]));
  const events = new Map<string, Event>(found.map((e) => [e.id, e]));
  const byEvent = new Map<string, { synced: SyncedEvent; items: OutboxItem[] }>();
  const skipped: OutboxItem[] = [];
  for (const item of items) {
    const event = events.get(item.eventId);
    if (!event || !event.labels.some((l) => l.labelId === item.labelId && l.appliedAt === item.appliedAt)) {
      skipped.push(item);
      continue;
    }
    const entry = byEvent.get(event.id) ?? { synced: { event, syncedLabelIds: [] }, items: [] };
    if (!entry.synced.syncedLabelIds.includes(item.labelId)) entry.synced.syncedLabelIds.push(item.labelId);
    entry.items.push(item);
    byEvent.set(event.id, entry);
  }
  return { synced: [...byEvent.values()], skipped };
}
