import type { Event, EventLabel } from '../model/event.ts';
import type { AppliedBy, Label } from '../model/label.ts';
import { labelCountKey, labelRecordOf } from '../domain/label-records.ts';
import { dayOf } from '../domain/dashboard.ts';
import { addEventLabel, deleteLabeledEvent, deleteUnlabeledEvents, putLabeledEvent, putLabeledEvents, putUnlabeledEvent, removeEventLabel, setEventLabelNote } from '../store/event-labels.ts';
import { putLabelRecords } from '../store/label-history.ts';
import { countChange, countChanges } from '../store/dashboard-counters.ts';

/**
 * The steps of changing one label on events, in an order that a crash cannot break: the items that make
 * an event findable by label are written before its own label entry changes and removed after it (a stale
 * one is checked against the event on read), and the history record and the dashboard count are keyed by
 * the application they concern, so a retry that runs them again changes nothing.
 */
const ruleOf = (by: AppliedBy) => (by.type === 'rule' ? by.id : undefined);

export type ApplyOutcome = 'applied' | 'already' | 'note-changed' | 'no-event';

/** Event updates in flight at once. */
const PARALLEL = 16;

/**
 * Puts `label` on each event (with `note`); on an event that has it already, sets the note when one is
 * given, and makes sure its record, count and by-label item exist (a retry after a crash). Batched: one
 * conditional UpdateItem per event, the rest in BatchWriteItem and one count update per 40 events.
 */
export async function applyLabelToEvents(tenantId: string, events: readonly Event[], label: Label, by: AppliedBy, note: string | undefined, now: Date): Promise<ApplyOutcome[]> {
  await putLabeledEvents(tenantId, events, label.id, ruleOf(by));
  const entry = { name: label.name, ...(note ? { note } : {}), appliedBy: by, appliedAt: now.toISOString() };
  const changes = await inBatches(events, PARALLEL, (event) => addEventLabel(tenantId, event.id, label.id, entry));
  const done: Event[] = [];
  const already: Event[] = [];
  for (const change of changes) {
    if (change.outcome === 'done') done.push(change.event);
    else if (change.outcome === 'unchanged') already.push(change.event);
  }
  await deleteUnlabeledEvents(tenantId, [...done, ...already].map((e) => e.id));
  const current = (event: Event) => event.labels.find((l) => l.labelId === label.id)!;
  // Already labeled (by anyone, or by an earlier attempt): findable under its first applier.
  const byOthers = already.filter((e) => ruleOf(current(e).appliedBy) !== ruleOf(by));
  for (const event of byOthers) await putLabeledEvent(tenantId, event, label.id, ruleOf(current(event).appliedBy));
  const recordOf = (event: Event) => {
    const c = current(event);
    return labelRecordOf({ action: 'applied', event, label, note: c.note, by: c.appliedBy, at: c.appliedAt, application: c.appliedAt });
  };
  const pendingSync = () => label.notify;
  await putLabelRecords(tenantId, done.map(recordOf), { onlyNew: false, pendingSync });
  await putLabelRecords(tenantId, already.map(recordOf), { onlyNew: true, pendingSync });
  const countOf = (event: Event) => ({
    day: dayOf(event.detectedAt),
    serverId: event.serverId,
    dedupeKey: labelCountKey('applied', event.id, label.id, current(event).appliedAt),
    deltas: { labels: { [label.id]: 1 } },
  });
  await countChanges(tenantId, [...done, ...already].map(countOf), now);
  const noted = new Set<string>();
  if (note !== undefined) {
    for (const event of already) {
      if ((current(event).note ?? '') === note) continue;
      await changeLabelNote(tenantId, event, label, note || null, by, now);
      noted.add(event.id);
    }
  }
  return changes.map((change) => (change.outcome === 'done' ? 'applied' : change.outcome === 'no-event' ? 'no-event' : noted.has(change.event.id) ? 'note-changed' : 'already'));
}

/**
 * Takes a label off the event. `at` is when (a rule's or label's deletion passes its own deletion time,
 * so a retried cleanup writes the same record). False when the event does not carry the label.
 */
export async function removeLabelFromEvent(tenantId: string, event: Event, label: { id: string; name: string }, by: AppliedBy, at: string, now: Date): Promise<boolean> {
  const entry = event.labels.find((l) => l.labelId === label.id);
  if (!entry) return false;
  await putLabelRecords(
    tenantId,
    [labelRecordOf({ action: 'removed', event, label: { id: label.id, name: label.name || entry.name }, note: entry.note, by, at, application: entry.appliedAt })],
    { onlyNew: true, pendingSync: () => false },
  );
  await countChange(
    tenantId,
    { day: dayOf(event.detectedAt), serverId: event.serverId, dedupeKey: labelCountKey('removed', event.id, label.id, entry.appliedAt), deltas: { labels: { [label.id]: -1 } } },
    now,
  );
  if (event.labels.length === 1) await putUnlabeledEvent(tenantId, event);
  const change = await removeEventLabel(tenantId, event.id, label.id, entry.appliedAt);
  if (change.outcome === 'done' || (change.outcome === 'unchanged' && !change.event.labels.some((l) => l.labelId === label.id))) {
    await deleteLabeledEvent(tenantId, label.id, event.id);
  }
  return change.outcome === 'done';
}

/** Sets or clears (null) the note of a label on the event; the entry as it is after. */
export async function changeLabelNote(tenantId: string, event: Event, label: { id: string; name: string }, note: string | null, by: AppliedBy, now: Date): Promise<EventLabel | undefined> {
  const entry = event.labels.find((l) => l.labelId === label.id);
  if (!entry) return undefined;
  if ((entry.note ?? null) === note) return entry;
  const change = await setEventLabelNote(tenantId, event.id, label.id, entry.appliedAt, note);
  if (change.outcome !== 'done') return change.outcome === 'unchanged' ? change.event.labels.find((l) => l.labelId === label.id) : undefined;
  await putLabelRecords(
    tenantId,
    [labelRecordOf({ action: 'note-changed', event, label: { id: label.id, name: label.name || entry.name }, note, by, at: now.toISOString(), application: entry.appliedAt })],
    { onlyNew: true, pendingSync: () => false },
  );
  return change.event.labels.find((l) => l.labelId === label.id);
}

/** Runs `work` over items, `parallel` at a time, answering results in order. */
async function inBatches<T, R>(items: readonly T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += parallel) out.push(...(await Promise.all(items.slice(i, i + parallel).map(work))));
  return out;
}
