import type { Event, EventLabel } from '../model/event.ts';
import type { AppliedBy, Label } from '../model/label.ts';
import { labelCountKey, labelRecordOf } from '../domain/label-records.ts';
import { dayOf } from '../domain/dashboard.ts';
import { addEventLabel, deleteLabeledEvent, deleteUnlabeledEvent, putLabeledEvent, putUnlabeledEvent, removeEventLabel, setEventLabelNote } from '../store/event-labels.ts';
import { putLabelRecords } from '../store/label-history.ts';
import { countChange } from '../store/dashboard-counters.ts';

/**
 * The steps of changing one label on one event, in an order that a crash cannot break: the items that
 * make the event findable by label are written before the event's own label entry changes and removed
 * after it (a stale one is checked against the event on read), and the history record and the dashboard
 * count are keyed by the application they concern, so a retry that runs them again changes nothing.
 */
const ruleOf = (by: AppliedBy) => (by.type === 'rule' ? by.id : undefined);

export type ApplyOutcome = 'applied' | 'already' | 'note-changed' | 'no-event';

/** Puts `label` on the event (with `note`); on an event that has it already, sets the note when one is given. */
export async function applyLabelToEvent(tenantId: string, event: Event, label: Label, by: AppliedBy, note: string | undefined, now: Date): Promise<ApplyOutcome> {
  await putLabeledEvent(tenantId, event, label.id, ruleOf(by));
  const entry = { name: label.name, ...(note ? { note } : {}), appliedBy: by, appliedAt: now.toISOString() };
  const change = await addEventLabel(tenantId, event.id, label.id, entry);
  if (change.outcome === 'no-event') return 'no-event';
  const current = change.event.labels.find((l) => l.labelId === label.id)!;
  // Already there (or a retry): make sure everything that follows from it exists, with its first applier.
  if (change.outcome === 'unchanged') await putLabeledEvent(tenantId, change.event, label.id, ruleOf(current.appliedBy));
  await deleteUnlabeledEvent(tenantId, event.id);
  await putLabelRecords(
    tenantId,
    [labelRecordOf({ action: 'applied', event: change.event, label, note: current.note, by: current.appliedBy, at: current.appliedAt, application: current.appliedAt })],
    { onlyNew: true, pendingSync: () => label.notify },
  );
  await countChange(tenantId, {
    day: dayOf(event.detectedAt),
    serverId: event.serverId,
    dedupeKey: labelCountKey('applied', event.id, label.id, current.appliedAt),
    deltas: { labels: { [label.id]: 1 } },
    now,
  });
  if (change.outcome === 'done') return 'applied';
  if (note !== undefined && (current.note ?? '') !== note) {
    await changeLabelNote(tenantId, change.event, label, note || null, by, now);
    return 'note-changed';
  }
  return 'already';
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
  await countChange(tenantId, {
    day: dayOf(event.detectedAt),
    serverId: event.serverId,
    dedupeKey: labelCountKey('removed', event.id, label.id, entry.appliedAt),
    deltas: { labels: { [label.id]: -1 } },
    now,
  });
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
