import type { Event, EventLabel } from '../model/event.ts';
import type { ChangeType, Severity } from '../model/enums.ts';
import { keys, triageKeys } from './keys.ts';
import { defineEntity } from './entity.ts';
import { getItem, queryAll, type Condition, type Item, type Page, type PageRequest } from './db.ts';
import { batchGet, batchPut } from './batch.ts';
import { listNewestFirst, timeBound } from './newest-first.ts';
import { eventExpiresAt, isExpired } from '../domain/retention.ts';
import { allOf, unexpired } from './expiry.ts';
import { TTL_ATTRIBUTE } from './table.ts';

/**
 * Change events. Ids are deterministic (scan, policy, path) and time-ordered by detectedAt, so a
 * redelivered ingest rewrites the same items instead of adding duplicates, and lists sort newest first.
 * They are written across the tenant's SHARDS partitions (keys.ts), and each list reads the index made
 * for its filter: a server's events, a policy's, a label's (event-labels.ts), the unlabeled ones, or
 * every shard of the tenant.
 *
 * An event's labels are stored as a map by label id (`labelMap`), so applying, removing or re-noting one
 * label is one conditional update of that entry, whatever else is on the event; served as `labels`.
 *
 * Each event carries its expiry (`expiresAt`, DynamoDB's TTL attribute, domain/retention.ts) from the
 * moment it is stored; every read here skips the events expired at the reader's `now`, since TTL deletion
 * lags (and the local store has none). The expiry travels with the event inside the backend (StoredEvent),
 * so the items derived from it (event-labels.ts) expire with it, and is dropped when served (servedEvent).
 */
export const LABEL_MAP = 'labelMap';

/** A label entry as stored on the event (its label id is the map key). */
export type StoredEventLabel = Omit<EventLabel, 'labelId'>;

export const events = defineEntity<Event>({
  name: 'event',
  key: (tenantId, eventId) => keys.event(tenantId, eventId),
  idOf: (event) => event.id,
  indexes: (tenantId, event) => keys.eventIndexes(tenantId, event),
});

export interface EventFilter {
  serverId?: string | undefined;
  groupId?: string | undefined;
  policyId?: string | undefined;
  changeType?: ChangeType | undefined;
  severity?: Severity | undefined;
  pathPrefix?: string | undefined;
  /** Events carrying this label. */
  labelId?: string | undefined;
  /** Events carrying no label. */
  unlabeled?: boolean | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** An event as the backend handles it: with its expiry (epoch seconds), absent on events stored before retention acted. */
export type StoredEvent = Event & { [TTL_ATTRIBUTE]?: number };

/** A new event with the expiry of a tenant's retention of `days` (set once, when it is stored). */
export function expiringEvent(event: Event, days: number): StoredEvent {
  return { ...event, [TTL_ATTRIBUTE]: eventExpiresAt(event.detectedAt, days) };
}

/** The event as the API serves it (the storage-only expiry dropped). */
export function servedEvent(event: StoredEvent): Event {
  const { [TTL_ATTRIBUTE]: _expiresAt, ...served } = event;
  return served;
}

/** The stored item of an event: labels as a map. */
export function eventItem(tenantId: string, event: Event): Item {
  const { labels, ...rest } = event;
  const labelMap: Record<string, StoredEventLabel> = {};
  for (const { labelId, ...entry } of labels) labelMap[labelId] = entry;
  return events.item(tenantId, { ...rest, [LABEL_MAP]: labelMap } as unknown as Event);
}

/** The event of a stored item (labels oldest first; items older than the label map served as stored). */
export function eventOf(item: Item): StoredEvent {
  const { [LABEL_MAP]: map, labelIds: _labelIds, ...rest } = events.fromItem(item) as Event & { labelMap?: Record<string, StoredEventLabel>; labelIds?: unknown };
  const labels = map
    ? Object.entries(map)
        .map(([labelId, entry]) => ({ labelId, ...entry }))
        .sort((a, b) => a.appliedAt.localeCompare(b.appliedAt) || a.labelId.localeCompare(b.labelId))
    : (rest.labels ?? []);
  return { ...rest, labels };
}

/** Writes events (BatchWriteItem), each with the expiry it carries (expiringEvent); answers the request count. */
export async function putEvents(tenantId: string, list: readonly StoredEvent[]): Promise<number> {
  return (await batchPut(list.map((event) => eventItem(tenantId, event)))).requests;
}

/** An event, unless it does not exist or is expired at `now`. */
export async function getEvent(tenantId: string, eventId: string, now = new Date()): Promise<StoredEvent | undefined> {
  const item = await getItem(keys.event(tenantId, eventId));
  return item && !isExpired(item[TTL_ATTRIBUTE], now) ? eventOf(item) : undefined;
}

/** Several events by id, in the order asked; missing ones (and ones expired at `now`) are absent. */
export async function getEvents(tenantId: string, eventIds: readonly string[], now = new Date()): Promise<StoredEvent[]> {
  if (eventIds.length === 0) return [];
  const items = (await batchGet(eventIds.map((id) => keys.event(tenantId, id)))).filter((item) => !isExpired(item[TTL_ATTRIBUTE], now));
  const found = new Map(items.map((item) => [item.id as string, eventOf(item)]));
  return eventIds.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
}

type FieldName = 'serverId' | 'groupId' | 'policyId' | 'changeType' | 'severity';

/** The FilterExpression for the fields the chosen source does not narrow by itself. */
function filterOf(filter: EventFilter, indexed: FieldName | undefined, onEventItems: boolean): Condition | undefined {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const field of ['serverId', 'policyId', 'groupId', 'changeType', 'severity'] as const) {
    const value = filter[field];
    if (value === undefined || field === indexed) continue;
    conditions.push(`#${field} = :${field}`);
    names[`#${field}`] = field;
    values[`:${field}`] = value;
  }
  if (filter.pathPrefix) {
    conditions.push('begins_with(#path, :pathPrefix)');
    names['#path'] = 'path';
    values[':pathPrefix'] = filter.pathPrefix;
  }
  if (onEventItems && (filter.labelId || filter.unlabeled)) {
    names['#lm'] = LABEL_MAP;
    if (filter.labelId) {
      conditions.push('attribute_exists(#lm.#label)');
      names['#label'] = filter.labelId;
    } else {
      conditions.push('(attribute_not_exists(#lm) OR size(#lm) = :zero)');
      values[':zero'] = 0;
    }
  }
  return conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined;
}

/**
 * Newest first, as served, without the events expired at `now`. A server's events come from its own index
 * (a label test is then a filter within that one server's events); otherwise a label (or "unlabeled") reads
 * that label's own items, else a policy its index, else the tenant's shards. Every other filter is a
 * FilterExpression within it.
 */
export async function listEvents(tenantId: string, filter: EventFilter, page: PageRequest, now = new Date()): Promise<Page<Event>> {
  const scope = `events:${tenantId}:${JSON.stringify(filter)}`;
  const bounds = { prefix: 'EV#evt_', from: filter.from ? timeBound('EV#evt_', filter.from, false) : undefined, to: filter.to ? timeBound('EV#evt_', filter.to, true) : undefined };
  if (!filter.serverId && (filter.labelId || filter.unlabeled)) return listByLabel(tenantId, filter, page, scope, bounds, now);
  const source = filter.serverId
    ? keys.eventsOfServer(tenantId, filter.serverId)
    : filter.policyId
      ? keys.eventsOfPolicy(tenantId, filter.policyId)
      : { index: undefined, pks: keys.eventShards(tenantId) };
  const indexed = filter.serverId ? 'serverId' : filter.policyId ? 'policyId' : undefined;
  const out = await listNewestFirst<Item>(scope, { pks: source.pks, index: source.index, ...bounds, filter: allOf(unexpired(now), filterOf(filter, indexed, true)) }, page);
  return { items: out.items.map((item) => servedEvent(eventOf(item))), nextCursor: out.nextCursor };
}

/**
 * Events of one label (or unlabeled): a page of that label's membership items (which carry the fields
 * filters test), then the events themselves in one BatchGet. The event is the truth: a membership item
 * left behind by an interrupted removal is checked against it and skipped.
 */
async function listByLabel(tenantId: string, filter: EventFilter, page: PageRequest, scope: string, bounds: { prefix: string; from?: string | undefined; to?: string | undefined }, now: Date): Promise<Page<Event>> {
  const pks = filter.labelId ? triageKeys.labeledEventShards(tenantId, filter.labelId) : triageKeys.unlabeledEventShards(tenantId);
  // Membership items carry their event's expiry: expired ones are skipped before the events are read.
  const out = await listNewestFirst<Item>(scope, { pks, ...bounds, filter: allOf(unexpired(now), filterOf(filter, undefined, false)) }, page);
  const found = await getEvents(tenantId, out.items.map((m) => m.eventId as string), now);
  const items = found.filter((event) => (filter.labelId ? event.labels.some((l) => l.labelId === filter.labelId) : event.labels.length === 0));
  return { items: items.map(servedEvent), nextCursor: out.nextCursor };
}

/**
 * Every event of one scan, read consistently from the table (not an index, which may lag the ingest that
 * just wrote them): the scan's events share its detectedAt, the time their ids start with, so each shard
 * is read over that one millisecond only.
 */
export async function eventsOfScan(tenantId: string, scanId: string, detectedAt: string): Promise<Event[]> {
  const scanOnly: Condition = { expression: '#scanId = :scanId', names: { '#scanId': 'scanId' }, values: { ':scanId': scanId } };
  const from = timeBound('EV#evt_', detectedAt, false);
  const to = timeBound('EV#evt_', detectedAt, true);
  const shards = await Promise.all(keys.eventShards(tenantId).map((pk) => queryAll<Item>({ pk, from, to, filter: scanOnly, consistent: true })));
  return shards.flat().map(eventOf);
}
