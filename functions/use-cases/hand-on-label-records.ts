import type { Event } from '../model/event.ts';
import { logger } from '../shared/logger.ts';
import { getEvents } from '../store/events.ts';
import { latestLabelSeq, markRecordsSynced, markWaitingForEvent, pendingSyncPage, stillPendingSync, type PendingSyncCursors, type PendingSyncRecord } from '../store/label-history.ts';
import { listLabels } from '../store/labels.ts';
import { listSyncDestinations, setFromSeq, type SyncDestinationItem } from '../store/sync-destinations.ts';
import { oweRecords } from '../store/sync-outbox.ts';

/** Records read per shard and page (16 shards), and pages per run; a longer backlog continues in the next run at once. */
const PER_SHARD = 250;
const PAGES_PER_RUN = 4;
/** A destination whose creation never read its starting point (a crash) gets one this long after it was created. */
const START_GRACE_MS = 60_000;
/**
 * A record whose event is not there waits this long from when the sync first saw it missing, then is dropped:
 * an ingest writes its events moments after the records, and a failing ingest is retried, or re-driven from
 * its DLQ, well within it; an event that expired never comes.
 */
export const MISSING_EVENT_GIVE_UP_MS = 3 * 86_400_000;

/**
 * The first half of a label sync: the tenant's label records waiting in the NOTIFY index (applications of
 * notify labels) are handed on to the outbox of each enabled destination created before the record was
 * written (its `fromSeq` is below the record's `seq`), then taken out of the index. Each outbox item is
 * created once ever, so a retry, a second run at once or a lagging index owes nothing twice.
 *
 * Only records up to the sequence read before the destinations are: a destination this run does not see
 * was written after that read, and reads its starting point later still, so it starts above every record
 * handed on here (docs/label-sync.md "Who gets what"). A record waits (stays in the index) while its event is
 * not written yet (an ingest writes rule labels' records before its events); one whose label no longer
 * notifies, or whose application was removed or replaced, goes to nobody.
 * Answers how many records it handed on, and whether more are waiting.
 */
export async function handOnLabelRecords(tenantId: string, now: Date): Promise<{ handedOn: number; more: boolean }> {
  const upTo = await latestLabelSeq(tenantId, true);
  const destinations = await settleStartingPoints(tenantId, await listSyncDestinations(tenantId, true), now);
  if (!destinations) return { handedOn: 0, more: false };
  const notify = new Set((await listLabels(tenantId)).filter((l) => l.notify).map((l) => l.id));
  let handedOn = 0;
  let progressed = false;
  let cursors: PendingSyncCursors | undefined;
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const listed = await pendingSyncPage(tenantId, PER_SHARD, now, cursors);
    const step = await handOnPage(tenantId, listed.records.filter((r) => r.seq <= upTo), destinations, notify, now);
    handedOn += step.handedOn;
    progressed ||= step.done > 0;
    cursors = listed.more;
    if (Object.keys(cursors).length === 0) return { handedOn, more: false };
  }
  // Pages left: another run follows at once, unless this one could hand nothing on (all waiting for their events).
  return { handedOn, more: progressed };
}

/** Hands on one page of records; answers how many items it owed and how many records left the index. */
async function handOnPage(tenantId: string, page: PendingSyncRecord[], destinations: SyncDestinationItem[], notify: Set<string>, now: Date): Promise<{ handedOn: number; done: number }> {
  if (page.length === 0) return { handedOn: 0, done: 0 };
  const stillWaiting = await stillPendingSync(tenantId, page.map((r) => r.id));
  const records = page.filter((r) => stillWaiting.has(r.id));
  const takersOf = (record: PendingSyncRecord) => (notify.has(record.labelId) ? destinations.filter((d) => d.enabled && record.seq > d.fromSeq!) : []);
  const wanted = records.filter((r) => takersOf(r).length > 0);
  const events = new Map((await getEvents(tenantId, [...new Set(wanted.map((r) => r.eventId))])).map((e) => [e.id, e]));

  const done: string[] = records.filter((r) => takersOf(r).length === 0).map((r) => r.id);
  const waiting: string[] = [];
  const owed = new Map<string, PendingSyncRecord[]>();
  for (const record of wanted) {
    const event = events.get(record.eventId);
    if (!event) {
      if (!record.syncWaitingSince) waiting.push(record.id);
      else if (now.getTime() - Date.parse(record.syncWaitingSince) > MISSING_EVENT_GIVE_UP_MS) {
        logger.warn('label record dropped from the sync: its event never came', { tenantId, recordId: record.id, eventId: record.eventId, waitingSince: record.syncWaitingSince });
        done.push(record.id);
      }
      continue;
    }
    done.push(record.id);
    if (!carries(event, record)) continue;
    for (const dest of takersOf(record)) owed.set(dest.id, [...(owed.get(dest.id) ?? []), record]);
  }
  await markWaitingForEvent(tenantId, waiting, now);
  // Owed first, then out of the index: a crash in between hands them on again, and the outbox keeps each once.
  let handedOn = 0;
  for (const [destinationId, list] of owed) {
    handedOn += await oweRecords(
      tenantId,
      destinationId,
      list.map((r) => ({ recordId: r.id, eventId: r.eventId, labelId: r.labelId, appliedAt: r.appliedAt, createdAt: now.toISOString() })),
    );
  }
  await markRecordsSynced(tenantId, done);
  return { handedOn, done: done.length };
}

/** True while the event still carries the application the record is about (not removed, not replaced by a newer one). */
const carries = (event: Event, record: PendingSyncRecord) => event.labels.some((l) => l.labelId === record.labelId && l.appliedAt === record.appliedAt);

/**
 * Every destination with its starting point; a creation that crashed before reading it gets one now. While a
 * destination is being created (its starting point not read yet) nothing is handed on: undefined.
 */
async function settleStartingPoints(tenantId: string, destinations: SyncDestinationItem[], now: Date): Promise<SyncDestinationItem[] | undefined> {
  const out: SyncDestinationItem[] = [];
  for (const dest of destinations) {
    if (dest.fromSeq !== undefined) {
      out.push(dest);
      continue;
    }
    if (now.getTime() - Date.parse(dest.createdAt) < START_GRACE_MS) return undefined;
    const fromSeq = await latestLabelSeq(tenantId, true);
    await setFromSeq(tenantId, dest.id, fromSeq);
    out.push({ ...dest, fromSeq: (await listSyncDestinations(tenantId, true)).find((d) => d.id === dest.id)?.fromSeq ?? fromSeq });
  }
  return out;
}
