import { createHash } from 'node:crypto';
import type { DayCounters } from '../domain/dashboard.ts';
import { shardOf, triageKeys } from './keys.ts';
import { queryAll, updateItem, updateWithExpression, type Item } from './db.ts';

/**
 * The change dashboard's counters: per tenant per day, split in SHARDS items by server (the server's
 * totals are attributes of its shard's item), all in one partition per tenant, so a 90-day window is one
 * Query over at most 90 x 16 small items. Every change is one atomic UpdateItem (ADD) that is also
 * exactly-once: it carries a dedupe key (a scan and policy, or one label change) that it adds to the
 * item's `counted` set, on condition that the set does not hold it yet. A redelivered ingest, or two
 * deliveries at once, count once. The set stays small: keys older than DEDUPE_WINDOW_HOURS are dropped
 * by later writes to the item, and a day's whole set when the same shard two days later is first written
 * (a retry that late would count again: the queue's retries and the re-drive sweep are far shorter).
 */
export const DEDUPE_WINDOW_HOURS = 24;

/** What one change adds (negative to subtract: a label removed). */
export interface CounterDeltas {
  total?: number;
  added?: number;
  modified?: number;
  removed?: number;
  renamed?: number;
  critical?: number;
  normal?: number;
  /** By label id. */
  labels?: Record<string, number>;
}

export interface CountRequest {
  /** `YYYY-MM-DD` (UTC): the day the changes were detected. */
  day: string;
  serverId: string;
  hostname?: string | undefined;
  /** What makes this count unique (`scan/policy`, or one label change). */
  dedupeKey: string;
  deltas: CounterDeltas;
  now: Date;
}

const SERVER = 'srv_';
const HOST = 'host_';
const LABEL = 'lbl_';
const COUNTS = ['total', 'added', 'modified', 'removed', 'renamed', 'critical', 'normal'] as const;

const hourOf = (time: Date) => Math.floor(time.getTime() / 3_600_000);
/** `<hour base36>.<hash>`: short, and its age is readable for pruning. */
const dedupeToken = (key: string, now: Date) => `${hourOf(now).toString(36)}.${createHash('sha256').update(key).digest('base64url').slice(0, 16)}`;

/** Adds one change's counts; false when this dedupe key was already counted (nothing changed). */
export async function countChange(tenantId: string, request: CountRequest): Promise<boolean> {
  const { day, serverId, deltas, now } = request;
  const token = dedupeToken(request.dedupeKey, now);
  const names: Record<string, string> = { '#counted': 'counted', '#writes': 'writes', '#day': 'day' };
  const values: Record<string, unknown> = { ':token': token, ':tokens': new Set([token]), ':one': 1, ':dayValue': day };
  const adds = ['#counted :tokens', '#writes :one'];
  const sets = ['#day = :dayValue'];
  let n = 0;
  const add = (attribute: string, value: number | undefined) => {
    if (!value) return;
    names[`#a${n}`] = attribute;
    values[`:a${n}`] = value;
    adds.push(`#a${n} :a${n}`);
    n++;
  };
  for (const field of COUNTS) add(field, deltas[field]);
  add(`${SERVER}${serverId}`, deltas.total);
  for (const [labelId, delta] of Object.entries(deltas.labels ?? {})) add(`${LABEL}${labelId}`, delta);
  if (request.hostname) {
    names['#host'] = `${HOST}${serverId}`;
    values[':host'] = request.hostname;
    sets.push('#host = :host');
  }
  const key = triageKeys.dayCounters(tenantId, day, shardOf(serverId));
  const after = await updateWithExpression(key, { update: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`, condition: 'NOT contains(#counted, :token)', names, values });
  if (!after) return false;
  await keepDedupeSetsSmall(tenantId, day, shardOf(serverId), after, now);
  return true;
}

/** Drops dedupe keys older than the window from this item, and, on a shard's first write of a day, the set of two days before. */
async function keepDedupeSetsSmall(tenantId: string, day: string, shard: number, item: Item, now: Date): Promise<void> {
  const oldest = hourOf(now) - DEDUPE_WINDOW_HOURS;
  const stale = [...((item.counted as Set<string> | undefined) ?? [])].filter((token) => parseInt(token.split('.')[0]!, 36) < oldest);
  if (stale.length) await updateItem(triageKeys.dayCounters(tenantId, day, shard), { delete: { counted: new Set(stale) } }, null);
  if (item.writes === 1) {
    const before = new Date(Date.parse(`${day}T00:00:00.000Z`) - 2 * 86_400_000).toISOString().slice(0, 10);
    await updateItem(triageKeys.dayCounters(tenantId, before, shard), { remove: ['counted'] });
  }
}

/** The counters of the days from `fromDay` to `toDay` (inclusive): one Query, paged by DynamoDB's 1 MB. */
export async function readDayCounters(tenantId: string, fromDay: string, toDay: string): Promise<DayCounters[]> {
  const range = triageKeys.dayCounterRange(tenantId, fromDay, toDay);
  const items = await queryAll<Item>({ pk: range.pk, from: range.from, to: range.to });
  return items.map(parseCounters);
}

function parseCounters(item: Item): DayCounters {
  const out: DayCounters = { day: item.day as string, total: 0, added: 0, modified: 0, removed: 0, renamed: 0, critical: 0, normal: 0, servers: {}, labels: {} };
  for (const field of COUNTS) out[field] = Number(item[field] ?? 0);
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(SERVER)) {
      const id = name.slice(SERVER.length);
      out.servers[id] = { total: Number(value), hostname: (item[`${HOST}${id}`] as string | undefined) ?? '' };
    } else if (name.startsWith(LABEL)) out.labels[name.slice(LABEL.length)] = Number(value);
  }
  return out;
}
