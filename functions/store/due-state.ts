import { DUE_FIELDS, wakeAt, type DueState } from '../domain/due-work.ts';
import { GSI3 } from './table.ts';
import { keys, wakeEntryOf, type Key, type WakeEntry } from './keys.ts';
import { getItem, queryPage, updateItem, type Changes, type Condition, type Item } from './db.ts';

/**
 * The due state of recurring work (domain/due-work.ts) as stored: three attributes on the item the work
 * belongs to (a server group, a tenant) and its entry in the wake index, always written together by one
 * conditional UpdateItem, so the index never disagrees with the state.
 */
export function dueStateOf(item: Partial<Record<(typeof DUE_FIELDS)[number], unknown>>): DueState {
  const state: DueState = {};
  for (const field of DUE_FIELDS) if (typeof item[field] === 'string') state[field] = item[field];
  return state;
}

/** The attributes that store `state` (DUE_FIELDS and the wake index keys): what to set, what to remove. */
export function dueChanges(entry: WakeEntry, state: DueState): Required<Pick<Changes, 'set' | 'remove'>> {
  const set: Item = {};
  const remove: string[] = [];
  for (const field of DUE_FIELDS) {
    if (state[field] !== undefined) set[field] = state[field];
    else remove.push(field);
  }
  const wake = wakeAt(state);
  if (wake) Object.assign(set, keys.wakeIndex(entry, wake));
  else remove.push(GSI3.partitionKey, GSI3.sortKey);
  return { set, remove };
}

/** Attributes of a new item that carries `state` (for a create or put). */
export function dueAttributes(entry: WakeEntry, state: DueState): Item {
  return dueChanges(entry, state).set;
}

/** True when the item's due state is still `seen` (each field equal, or absent when it was absent). */
function unchangedSince(seen: DueState): Condition {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses = ['attribute_exists(pk)'];
  DUE_FIELDS.forEach((field, i) => {
    names[`#d${i}`] = field;
    if (seen[field] === undefined) clauses.push(`attribute_not_exists(#d${i})`);
    else {
      values[`:d${i}`] = seen[field];
      clauses.push(`#d${i} = :d${i}`);
    }
  });
  return { expression: clauses.join(' AND '), names, values };
}

/**
 * Moves the due state of the item at `key` from `seen` to `next` in one conditional write (with `also`, other
 * attributes of the item in the same write): false when it is no longer `seen` (another tick claimed the
 * slot first, the schedule changed, the work finished).
 */
export async function moveDueState(key: Key, entry: WakeEntry, seen: DueState, next: DueState, also: Changes = {}): Promise<boolean> {
  const due = dueChanges(entry, next);
  const changes: Changes = { ...also, set: { ...also.set, ...due.set }, remove: [...(also.remove ?? []), ...due.remove] };
  return (await updateItem(key, changes, unchangedSince(seen))) !== undefined;
}

/**
 * Clears the debt of `slot` once its work is done (domain doneWith), unless a newer slot was claimed since
 * or the schedule changed. A read and a conditional write, repeated if the state moves in between.
 */
export async function finishDueSlot(key: Key, entry: WakeEntry, slot: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const item = await getItem(key, true);
    if (!item) return false;
    const seen = dueStateOf(item);
    if (seen.owedSlot !== slot) return false;
    if (await moveDueState(key, entry, seen, { nextDueAt: seen.nextDueAt })) return true;
  }
  return false;
}

/** An item due now, as the wake index holds it (projection ALL): its owner and the whole item. */
export interface DueItem {
  entry: WakeEntry;
  item: Item;
}

/**
 * Calls `visit` for every item of the wake index due at `now`, page by page, the shards in parallel.
 * `visit` moves each item's entry past `now` (or leaves it, when another tick got there first).
 */
export async function forEachDue(now: Date, visit: (due: DueItem[]) => Promise<void>, pageSize = 100): Promise<void> {
  const { index, pks, from, to } = keys.dueUntil(now.toISOString());
  await Promise.all(
    pks.map(async (pk) => {
      let cursor: string | undefined;
      do {
        const page = await queryPage<Item>({ index, pk, from, to }, { limit: pageSize, cursor });
        if (page.items.length) await visit(page.items.map((item) => ({ entry: wakeEntryOf(String(item[GSI3.sortKey])), item })));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }),
  );
}
