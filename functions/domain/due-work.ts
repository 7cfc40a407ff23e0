import { latestSlot, nextSlotAfter, type ScanSchedule } from './schedule.ts';

/**
 * The bookkeeping of one piece of recurring work (a server group's scheduled scans, a tenant's weekly
 * reports), kept on the item it belongs to. The table is the truth and the queue a wake-up: the tick
 * first CLAIMS a slot (one conditional write moves `nextDueAt` on and records the slot as owed), then
 * sends its message; the worker clears the debt when the work is done. If the message is lost (a crash
 * between the write and the send, a message gone to the DLQ), the debt is still there at `owedRetryAt`
 * and the tick sends it again. Pure: `now` comes in.
 */
export interface DueState {
  /** The next slot not yet claimed (ISO); absent when the schedule is off. */
  nextDueAt?: string | undefined;
  /** A claimed slot whose work has not been reported done. */
  owedSlot?: string | undefined;
  /** When the tick sends the owed slot's message again if the work is still not done. */
  owedRetryAt?: string | undefined;
}

export const DUE_FIELDS = ['nextDueAt', 'owedSlot', 'owedRetryAt'] as const satisfies readonly (keyof DueState)[];

export interface DueTiming {
  /** How long after a send the work may still be under way (the queue's visibility timeout): resend after that. */
  retryMs: number;
}

export type DueAction =
  /** A new slot has come: claim it (write `next`, conditional on the state read) and send its message. */
  | { action: 'claim'; slot: string; next: DueState }
  /** The owed slot's message was sent `retryMs` ago and the work is not done: send it again. */
  | { action: 'resend'; slot: string; next: DueState }
  /** nextDueAt is not a slot of the schedule (it changed without it): move it on, claim nothing. */
  | { action: 'reschedule'; next: DueState }
  | { action: 'none' };

/** What the tick does with an item whose state is `state`, at `now`. */
export function dueAction(schedule: ScanSchedule, state: DueState, now: Date, timing: DueTiming): DueAction {
  const retryAt = new Date(now.getTime() + timing.retryMs).toISOString();
  if (state.nextDueAt && Date.parse(state.nextDueAt) <= now.getTime()) {
    // The latest slot that has come, however many passed since nextDueAt: one claim, late if need be.
    const slot = latestSlot(schedule, now);
    const next = nextSlotAfter(schedule, now);
    if (slot && next && slot.getTime() >= Date.parse(state.nextDueAt)) {
      return { action: 'claim', slot: slot.toISOString(), next: { nextDueAt: next.toISOString(), owedSlot: slot.toISOString(), owedRetryAt: retryAt } };
    }
    return { action: 'reschedule', next: { ...state, nextDueAt: next?.toISOString() } };
  }
  if (state.owedSlot && state.owedRetryAt && Date.parse(state.owedRetryAt) <= now.getTime()) {
    return { action: 'resend', slot: state.owedSlot, next: { ...state, owedRetryAt: retryAt } };
  }
  return { action: 'none' };
}

/** The state once the work of `slot` is done: the debt cleared, unless a newer slot was claimed since. */
export function doneWith(state: DueState, slot: string): DueState | null {
  if (state.owedSlot !== slot) return null;
  return { nextDueAt: state.nextDueAt };
}

/** The state of a schedule set or changed at `now`: its first slot after now, nothing owed. */
export function scheduledFrom(schedule: ScanSchedule, now: Date): DueState {
  const next = nextSlotAfter(schedule, now);
  return { nextDueAt: next?.toISOString() };
}

/** When the tick must look at the item next (the wake index's sort key), or undefined when never. */
export function wakeAt(state: DueState): string | undefined {
  const times: number[] = [];
  if (state.nextDueAt) times.push(Date.parse(state.nextDueAt));
  if (state.owedSlot && state.owedRetryAt) times.push(Date.parse(state.owedRetryAt));
  return times.length ? new Date(Math.min(...times)).toISOString() : undefined;
}
