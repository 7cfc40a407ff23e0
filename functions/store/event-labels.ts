import type { Event } from '../model/event.ts';
import { keys, triageKeys } from './keys.ts';
import { batchWrite, type WriteRequest } from './batch.ts';
import { deleteItem, getItem, putItem, queryPage, updateWithExpression, type Item } from './db.ts';
import { eventOf, LABEL_MAP, type StoredEventLabel } from './events.ts';
import { TTL_ATTRIBUTE } from './table.ts';

/**
 * Which events carry a label, kept beside the events so a list by label never filters the whole tenant:
 * one "labeled event" item per (label, event) in that label's shards, and one "unlabeled" item per event
 * without labels. Both copy the fields list filters test, and the event's expiry. The label entry on the
 * event item is the truth; these items are written before it changes (to add) and removed after (to
 * drop), so an interrupted step leaves at most a stale item, which readers check against the event.
 */
export interface Membership {
  eventId: string;
  serverId: string;
  groupId: string;
  policyId: string;
  changeType: string;
  severity: string;
  path: string;
}

type EventFields = Pick<Event, 'id' | 'serverId' | 'groupId' | 'policyId' | 'changeType' | 'severity' | 'path'> & { [TTL_ATTRIBUTE]?: number };

function membership(event: EventFields): Membership & Item {
  const expiry = event[TTL_ATTRIBUTE];
  return {
    eventId: event.id,
    serverId: event.serverId,
    groupId: event.groupId,
    policyId: event.policyId,
    changeType: event.changeType,
    severity: event.severity,
    path: event.path,
    ...(expiry !== undefined ? { [TTL_ATTRIBUTE]: expiry } : {}),
  };
}

export function labeledEventItem(tenantId: string, event: EventFields, labelId: string, ruleId?: string): Item {
  return {
    ...triageKeys.labeledEvent(tenantId, labelId, event.id),
    ...(ruleId ? triageKeys.labeledByRuleIndex(tenantId, ruleId, event.id) : {}),
    ...membership(event),
    labelId,
  };
}

export function unlabeledEventItem(tenantId: string, event: EventFields): Item {
  return { ...triageKeys.unlabeledEvent(tenantId, event.id), ...membership(event) };
}

/** The membership items of freshly ingested events: one per label they carry, or one "unlabeled". */
export async function putMemberships(tenantId: string, list: readonly Event[]): Promise<number> {
  const requests: WriteRequest[] = [];
  for (const event of list) {
    if (event.labels.length === 0) requests.push({ PutRequest: { Item: unlabeledEventItem(tenantId, event) } });
    for (const label of event.labels) {
      const ruleId = label.appliedBy.type === 'rule' ? label.appliedBy.id : undefined;
      requests.push({ PutRequest: { Item: labeledEventItem(tenantId, event, label.labelId, ruleId) } });
    }
  }
  return (await batchWrite(requests)).requests;
}

export const putLabeledEvent = (tenantId: string, event: EventFields, labelId: string, ruleId?: string) =>
  putItem(labeledEventItem(tenantId, event, labelId, ruleId));
/** The by-label items of several events (BatchWriteItem). */
export const putLabeledEvents = (tenantId: string, list: readonly EventFields[], labelId: string, ruleId?: string) =>
  batchWrite(list.map((event) => ({ PutRequest: { Item: labeledEventItem(tenantId, event, labelId, ruleId) } })));
/** Drops the "unlabeled" items of several events (BatchWriteItem; absent ones are fine). */
export const deleteUnlabeledEvents = (tenantId: string, eventIds: readonly string[]) =>
  batchWrite(eventIds.map((id) => ({ DeleteRequest: { Key: triageKeys.unlabeledEvent(tenantId, id) } })));
export const putUnlabeledEvent = (tenantId: string, event: EventFields) => putItem(unlabeledEventItem(tenantId, event));
export const deleteLabeledEvent = (tenantId: string, labelId: string, eventId: string) =>
  deleteItem(triageKeys.labeledEvent(tenantId, labelId, eventId), null);
export const deleteUnlabeledEvent = (tenantId: string, eventId: string) =>
  deleteItem(triageKeys.unlabeledEvent(tenantId, eventId), null);

/** What a conditional change of an event's label entry found. */
export type LabelChange = { outcome: 'done'; event: Event } | { outcome: 'unchanged'; event: Event } | { outcome: 'no-event' };

/** One UpdateItem on an event's label map; undefined when the condition failed. */
async function updateLabelMap(tenantId: string, eventId: string, update: string, condition: string, names: Record<string, string>, values: Record<string, unknown>) {
  const after = await updateWithExpression(keys.event(tenantId, eventId), { update, condition, names: { '#lm': LABEL_MAP, ...names }, values });
  return after ? eventOf(after) : undefined;
}

/** Reads the event (consistent) to say why a conditional change did nothing. */
async function unchanged(tenantId: string, eventId: string): Promise<LabelChange> {
  const item = await getItem(keys.event(tenantId, eventId), true);
  return item ? { outcome: 'unchanged', event: eventOf(item) } : { outcome: 'no-event' };
}

/** Puts a label on an event unless it already carries that label. */
export async function addEventLabel(tenantId: string, eventId: string, labelId: string, entry: StoredEventLabel): Promise<LabelChange> {
  const names = { '#l': labelId };
  const added = await updateLabelMap(tenantId, eventId, 'SET #lm.#l = :entry', 'attribute_exists(pk) AND attribute_exists(#lm) AND attribute_not_exists(#lm.#l)', names, { ':entry': entry });
  if (added) return { outcome: 'done', event: added };
  // An event stored before labels were a map has none yet: give it one holding this label.
  const first = await updateLabelMap(tenantId, eventId, 'SET #lm = :map', 'attribute_exists(pk) AND attribute_not_exists(#lm)', {}, { ':map': { [labelId]: entry } });
  return first ? { outcome: 'done', event: first } : unchanged(tenantId, eventId);
}

/** Removes a label entry, only while it is the application `appliedAt` (and, for a rule's, still that rule's). */
export async function removeEventLabel(tenantId: string, eventId: string, labelId: string, appliedAt: string): Promise<LabelChange> {
  const removed = await updateLabelMap(tenantId, eventId, 'REMOVE #lm.#l', '#lm.#l.appliedAt = :at', { '#l': labelId }, { ':at': appliedAt });
  return removed ? { outcome: 'done', event: removed } : unchanged(tenantId, eventId);
}

/** Sets (or, with null, clears) the note of a label entry, while it is the application `appliedAt`. */
export async function setEventLabelNote(tenantId: string, eventId: string, labelId: string, appliedAt: string, note: string | null): Promise<LabelChange> {
  const names = { '#l': labelId, '#note': 'note' };
  const changed =
    note === null
      ? await updateLabelMap(tenantId, eventId, 'REMOVE #lm.#l.#note', '#lm.#l.appliedAt = :at', names, { ':at': appliedAt })
      : await updateLabelMap(tenantId, eventId, 'SET #lm.#l.#note = :note', '#lm.#l.appliedAt = :at', names, { ':at': appliedAt, ':note': note });
  return changed ? { outcome: 'done', event: changed } : unchanged(tenantId, eventId);
}

/** Up to `limit` labeled-event items of a label (all shards), or of a rule's applications (its index). */
export async function labeledEventsToClean(tenantId: string, of: { labelId: string } | { ruleId: string }, limit: number): Promise<Array<Membership & { labelId: string }>> {
  const source = 'labelId' in of ? { index: undefined, pks: triageKeys.labeledEventShards(tenantId, of.labelId) } : triageKeys.labeledByRuleShards(tenantId, of.ruleId);
  const perShard = Math.max(1, Math.ceil(limit / source.pks.length));
  const pages = await Promise.all(source.pks.map((pk) => queryPage<Membership & { labelId: string }>({ pk, index: source.index }, { limit: perShard })));
  return pages.flatMap((p) => p.items);
}
