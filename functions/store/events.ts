import type { Event, EventQuery } from '../api/schemas/event.schemas.ts';
import { keys } from './keys.ts';
import { batchPut } from './batch.ts';
import { getItem, queryPage, withoutKeys, type Page, type PageRequest } from './db.ts';

/**
 * Change events. Ids are deterministic (scan, policy, path) and time-ordered by detectedAt, so a
 * redelivered ingest rewrites the same items instead of adding duplicates, and lists sort newest first.
 */
export async function putEvents(tenantId: string, events: readonly Event[]): Promise<number> {
  const { requests } = await batchPut(events.map((event) => ({ ...keys.event(tenantId, event.id), ...keys.eventByServer(tenantId, event.serverId, event.id), ...event })));
  return requests;
}

export async function getEvent(tenantId: string, eventId: string): Promise<Event | undefined> {
  const item = await getItem<Event & Record<string, unknown>>(keys.event(tenantId, eventId));
  return item ? (withoutKeys(item) as Event) : undefined;
}

/** Newest first. `serverId` narrows the partition (gsi1); the other filters are FilterExpressions. */
export async function listEvents(tenantId: string, query: EventQuery, page: PageRequest): Promise<Page<Event>> {
  const partition = query.serverId
    ? { pk: keys.eventsOfServer(tenantId, query.serverId).gsi1pk, skPrefix: 'EV#', index: 'gsi1' as const }
    : { pk: keys.eventsPartition(tenantId).pk, skPrefix: 'EV#' };
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const equal = (field: 'groupId' | 'policyId' | 'changeType' | 'severity') => {
    const value = query[field];
    if (value === undefined) return;
    conditions.push(`#${field} = :${field}`);
    names[`#${field}`] = field;
    values[`:${field}`] = value;
  };
  equal('groupId');
  equal('policyId');
  equal('changeType');
  equal('severity');
  if (query.pathPrefix) {
    conditions.push('begins_with(#path, :pathPrefix)');
    names['#path'] = 'path';
    values[':pathPrefix'] = query.pathPrefix;
  }
  if (query.from) {
    conditions.push('#detectedAt >= :from');
    names['#detectedAt'] = 'detectedAt';
    values[':from'] = new Date(query.from).toISOString();
  }
  if (query.to) {
    conditions.push('#detectedAt <= :to');
    names['#detectedAt'] = 'detectedAt';
    values[':to'] = new Date(query.to).toISOString();
  }
  if (query.labelId) {
    conditions.push('contains(#labelIds, :labelId)');
    names['#labelIds'] = 'labelIds';
    values[':labelId'] = query.labelId;
  }
  const out = await queryPage<Event & Record<string, unknown>>(
    {
      ...partition,
      forward: false,
      filter: conditions.length ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values } : undefined,
    },
    page,
  );
  return { items: out.items.map(toEvent), nextCursor: out.nextCursor };
}

function toEvent(item: Event & Record<string, unknown>): Event {
  const { labelIds: _labelIds, ...event } = withoutKeys(item) as Event & { labelIds?: unknown };
  return event as Event;
}
