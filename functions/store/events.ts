import type { Event } from '../model/event.ts';
import type { ChangeType, Severity } from '../model/enums.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';
import type { Condition, Page, PageRequest } from './db.ts';
import { listNewestFirst } from './newest-first.ts';
import { base32 } from '../shared/ids.ts';

/**
 * Change events. Ids are deterministic (scan, policy, path) and time-ordered by detectedAt, so a
 * redelivered ingest rewrites the same items instead of adding duplicates, and lists sort newest first.
 * They are written across the tenant's SHARDS partitions (keys.ts), and each list reads the index made
 * for its filter: a server's events, a policy's, a group's, or every shard of the tenant.
 */
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
  /** Events carrying this label (labelIds is kept on the event beside its labels). */
  labelId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** Writes events (BatchWriteItem); answers the request count. */
export async function putEvents(tenantId: string, list: readonly Event[]): Promise<number> {
  return (await events.putMany(tenantId, list)).requests;
}

export async function getEvent(tenantId: string, eventId: string): Promise<Event | undefined> {
  const event = await events.get(tenantId, eventId);
  return event ? toEvent(event) : undefined;
}

/** The served event: storage-only attributes (the label id list used for filtering) dropped. */
function toEvent(item: object): Event {
  const { labelIds: _labelIds, ...event } = events.fromItem(item as Record<string, unknown>) as Event & { labelIds?: unknown };
  return event;
}

/** The sort key bound of a time: event ids start with their detectedAt (shared/ids.ts). */
function idBound(time: string, top: boolean): string {
  const stamp = Buffer.alloc(6);
  stamp.writeUIntBE(Date.parse(time), 0, 6);
  return `EV#evt_${base32(stamp)}${top ? '~' : ''}`;
}

/** Newest first. A server or a policy picks its index, else the tenant's shards are read; the rest filter. */
export async function listEvents(tenantId: string, filter: EventFilter, page: PageRequest): Promise<Page<Event>> {
  const source = filter.serverId
    ? keys.eventsOfServer(tenantId, filter.serverId)
    : filter.policyId
      ? keys.eventsOfPolicy(tenantId, filter.policyId)
      : { index: undefined, pks: keys.eventShards(tenantId) };
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const equal = (field: 'serverId' | 'groupId' | 'policyId' | 'changeType' | 'severity') => {
    const value = filter[field];
    if (value === undefined) return;
    conditions.push(`#${field} = :${field}`);
    names[`#${field}`] = field;
    values[`:${field}`] = value;
  };
  // The index narrows by its own field; every other field given is a filter.
  const indexed = filter.serverId ? 'serverId' : filter.policyId ? 'policyId' : undefined;
  for (const field of ['serverId', 'policyId', 'groupId'] as const) if (field !== indexed) equal(field);
  equal('changeType');
  equal('severity');
  if (filter.pathPrefix) {
    conditions.push('begins_with(#path, :pathPrefix)');
    names['#path'] = 'path';
    values[':pathPrefix'] = filter.pathPrefix;
  }
  if (filter.labelId) {
    conditions.push('contains(#labelIds, :labelId)');
    names['#labelIds'] = 'labelIds';
    values[':labelId'] = filter.labelId;
  }
  const condition: Condition | undefined = conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined;
  const scope = `events:${tenantId}:${JSON.stringify(filter)}`;
  const out = await listNewestFirst(
    scope,
    {
      pks: source.pks,
      index: source.index,
      prefix: 'EV#evt_',
      from: filter.from ? idBound(filter.from, false) : undefined,
      to: filter.to ? idBound(filter.to, true) : undefined,
      filter: condition,
    },
    page,
  );
  return { items: out.items.map(toEvent), nextCursor: out.nextCursor };
}
