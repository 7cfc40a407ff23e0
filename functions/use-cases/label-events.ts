import { NotFoundError, ValidationError, type FieldError } from '../shared/problem.ts';
import type { Event, EventLabel } from '../model/event.ts';
import type { AppliedBy } from '../model/label.ts';
import { getEvent, getEvents } from '../store/events.ts';
import { getLabel, getLabelItem, listLabels } from '../store/labels.ts';
import { applyLabelToEvents, changeLabelNote, removeLabelFromEvent } from './event-label-steps.ts';

/** What users do to labels on events (role `user` and above). */

/** Labels many events at once, each with the optional note. Nothing changes unless every event and the label are valid. */
export async function labelEvents(tenantId: string, input: { eventIds: string[]; labelId: string; note?: string | undefined }, by: AppliedBy, now: Date) {
  const label = await getLabel(tenantId, input.labelId);
  if (!label) throw new ValidationError('Unknown label.', [{ path: 'labelId', message: `no label ${input.labelId}` }]);
  const ids = [...new Set(input.eventIds)];
  const found = new Map((await getEvents(tenantId, ids)).map((e) => [e.id, e]));
  const errors: FieldError[] = [];
  input.eventIds.forEach((id, i) => {
    const event = found.get(id);
    if (!event) errors.push({ path: `eventIds.${i}`, message: `no event ${id}` });
    else if (label.policyId && label.policyId !== event.policyId) errors.push({ path: `eventIds.${i}`, message: `label ${label.id} belongs to policy ${label.policyId}, event ${id} to ${event.policyId}` });
  });
  if (errors.length) throw new ValidationError('Some events cannot take this label; nothing was labeled.', errors);
  const outcomes = await applyLabelToEvents(tenantId, ids.map((id) => found.get(id)!), label, by, input.note, now);
  const count = (what: string) => outcomes.filter((o) => o === what).length;
  return { labeled: ids.length, newlyLabeled: count('applied'), alreadyLabeled: count('already') + count('note-changed'), notesChanged: count('note-changed') };
}

/** Takes one label off one event. */
export async function unlabelEvent(tenantId: string, eventId: string, labelId: string, by: AppliedBy, now: Date): Promise<void> {
  const event = await getEvent(tenantId, eventId);
  if (!event) throw new NotFoundError('event');
  if (!event.labels.some((l) => l.labelId === labelId)) throw new NotFoundError('label on this event');
  const label = (await getLabelItem(tenantId, labelId)) ?? { id: labelId, name: '' };
  if (!(await removeLabelFromEvent(tenantId, event, { id: label.id, name: label.name }, by, now.toISOString(), now))) throw new NotFoundError('label on this event');
}

/** Sets, changes or (with null or "") removes the note of a label on an event. */
export async function editLabelNote(tenantId: string, eventId: string, labelId: string, note: string | null, by: AppliedBy, now: Date): Promise<EventLabel> {
  const event = await getEvent(tenantId, eventId);
  if (!event) throw new NotFoundError('event');
  const label = (await getLabelItem(tenantId, labelId)) ?? { id: labelId, name: '' };
  const entry = await changeLabelNote(tenantId, event, { id: label.id, name: label.name }, note || null, by, now);
  if (!entry) throw new NotFoundError('label on this event');
  return entry;
}

/** Events as served: each label entry with its label's current name (labels can be renamed). */
export async function withCurrentLabelNames<T extends Pick<Event, 'labels'>>(tenantId: string, events: T[]): Promise<T[]> {
  if (!events.some((e) => e.labels.length)) return events;
  const names = new Map((await listLabels(tenantId)).map((l) => [l.id, l.name]));
  return events.map((e) => ({ ...e, labels: e.labels.map((l) => ({ ...l, name: names.get(l.labelId) ?? l.name })) }));
}
