import { createHash } from 'node:crypto';
import type { DayCounters } from '../domain/dashboard.ts';
import { shardOf, triageKeys } from './keys.ts';
import { getItem, queryAll, updateItem, updateWithExpression, type Item } from './db.ts';

/**
 * The change dashboard's counters: per tenant per day, split in SHARDS items by server (the server's
 * totals are attributes of its shard's item), all in one partition per tenant, so a 90-day window is one
 * Query over at most 90 x 16 small items. Every change is counted by an atomic UpdateItem (ADD) that is
 * also exactly-once: each change has a dedupe key (a scan and policy, or one label change) whose hash
 * becomes an attribute of the item (`c_<hash>` = the hour it was written), on condition that the item has
 * no such attribute yet. A redelivered ingest, or two deliveries at once, count once. Keys older than
 * DEDUPE_WINDOW_HOURS are dropped by later writes to the item, and a day's keys when the same shard two
 * days later is first written, so items stay a few KB (a retry that late would count again: the queue's
 * retries and the re-drive sweep are minutes apart).
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
  /** What makes this count unique (`ingest/<scan>/<policy>`, or one label change). */
  dedupeKey: string;
  deltas: CounterDeltas;
}

const SERVER = 'srv_';
const HOST = 'host_';
const LABEL = 'lbl_';
const DEDUPE = 'c_';
const COUNTS = ['total', 'added', 'modified', 'removed', 'renamed', 'critical', 'normal'] as const;
/** Changes counted by one UpdateItem (its expression stays well under DynamoDB's 4 KB). */
const PER_UPDATE = 40;

const hourOf = (time: Date) => Math.floor(time.getTime() / 3_600_000);
const dedupeAttribute = (key: string) => `${DEDUPE}${createHash('sha256').update(key).digest('base64url').slice(0, 16)}`;

/** Adds one change's counts; false when its dedupe key was already counted (nothing changed). */
export async function countChange(tenantId: string, request: CountRequest, now: Date): Promise<boolean> {
  return (await countChanges(tenantId, [request], now))[0]!;
}

/**
 * Adds many changes' counts: one UpdateItem per counter item for up to 40 changes, each change still
 * counted at most once (when some were counted before, that group is counted change by change). Answers,
 * for each request, whether it was counted now.
 */
export async function countChanges(tenantId: string, requests: readonly CountRequest[], now: Date): Promise<boolean[]> {
  const out = new Array<boolean>(requests.length).fill(false);
  const groups = new Map<string, number[]>();
  requests.forEach((r, i) => {
    const item = `${r.day}#${shardOf(r.serverId)}`;
    groups.set(item, [...(groups.get(item) ?? []), i]);
  });
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      for (let i = 0; i < indexes.length; i += PER_UPDATE) {
        const chunk = indexes.slice(i, i + PER_UPDATE);
        if (await countTogether(tenantId, chunk.map((j) => requests[j]!), now)) for (const j of chunk) out[j] = true;
        else if (chunk.length > 1) for (const j of chunk) out[j] = await countTogether(tenantId, [requests[j]!], now);
      }
    }),
  );
  return out;
}

/** One UpdateItem counting every request (all on the same counter item), if none was counted before. */
async function countTogether(tenantId: string, requests: readonly CountRequest[], now: Date): Promise<boolean> {
  const { day, serverId } = requests[0]!;
  const names: Record<string, string> = { '#writes': 'writes', '#day': 'day' };
  const values: Record<string, unknown> = { ':one': 1, ':dayValue': day, ':hour': hourOf(now) };
  const sets = ['#day = :dayValue'];
  const adds = ['#writes :one'];
  const conditions: string[] = [];
  let n = 0;
  const name = (attribute: string) => {
    const placeholder = `#n${n++}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const value = (v: unknown) => {
    const placeholder = `:v${n++}`;
    values[placeholder] = v;
    return placeholder;
  };
  const sums = new Map<string, number>();
  const hostnames = new Map<string, string>();
  const sum = (attribute: string, delta: number | undefined) => delta && sums.set(attribute, (sums.get(attribute) ?? 0) + delta);
  const seen = new Set<string>();
  for (const request of requests) {
    const attribute = dedupeAttribute(request.dedupeKey);
    if (seen.has(attribute)) continue; // the same change twice in one call counts once
    seen.add(attribute);
    const dedupe = name(attribute);
    conditions.push(`attribute_not_exists(${dedupe})`);
    sets.push(`${dedupe} = :hour`);
    for (const field of COUNTS) sum(field, request.deltas[field]);
    sum(`${SERVER}${request.serverId}`, request.deltas.total);
    for (const [labelId, delta] of Object.entries(request.deltas.labels ?? {})) sum(`${LABEL}${labelId}`, delta);
    if (request.hostname) hostnames.set(request.serverId, request.hostname);
  }
  for (const [id, hostname] of hostnames) sets.push(`${name(`${HOST}${id}`)} = ${value(hostname)}`);
  for (const [attribute, delta] of sums) if (delta !== 0) adds.push(`${name(attribute)} ${value(delta)}`);
  const shard = shardOf(serverId);
  const after = await updateWithExpression(triageKeys.dayCounters(tenantId, day, shard), {
    update: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
    condition: conditions.join(' AND '),
    names,
    values,
  });
  if (!after) return false;
  await keepDedupeKeysFew(tenantId, day, shard, after, now);
  return true;
}

/** Drops dedupe keys older than the window from this item, and, on a shard's first write of a day, those of two days before. */
async function keepDedupeKeysFew(tenantId: string, day: string, shard: number, item: Item, now: Date): Promise<void> {
  const oldest = hourOf(now) - DEDUPE_WINDOW_HOURS;
  await removeDedupeKeys(tenantId, day, shard, item, (hour) => hour < oldest);
  if (item.writes === 1) {
    const before = new Date(Date.parse(`${day}T00:00:00.000Z`) - 2 * 86_400_000).toISOString().slice(0, 10);
    const old = await getItem<Item>(triageKeys.dayCounters(tenantId, before, shard));
    if (old) await removeDedupeKeys(tenantId, before, shard, old, () => true);
  }
}

async function removeDedupeKeys(tenantId: string, day: string, shard: number, item: Item, drop: (hour: number) => boolean): Promise<void> {
  const stale = Object.entries(item)
    .filter(([name, hour]) => name.startsWith(DEDUPE) && drop(Number(hour)))
    .map(([name]) => name);
  for (let i = 0; i < stale.length; i += 100) await updateItem(triageKeys.dayCounters(tenantId, day, shard), { remove: stale.slice(i, i + 100) });
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
