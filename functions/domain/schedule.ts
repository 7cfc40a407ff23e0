/**
 * Schedule math for server-group scans, all in UTC. The schedule handler runs every minute and asks
 * for the latest slot at or before `now`; a slot not yet dispatched (and not older than the catch-up
 * window, e.g. after an outage) is due. Pure: `now` comes in.
 */
export interface ScanSchedule {
  frequency: 'off' | 'hourly' | 'daily' | 'weekly';
  time?: string | undefined;
  dayOfWeek?: string | undefined;
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
export const CATCH_UP_MS = 60 * 60 * 1000;

/** The most recent slot at or before `now`, or null when scheduling is off. */
export function latestSlot(schedule: ScanSchedule, now: Date): Date | null {
  if (schedule.frequency === 'off') return null;
  const [hours, minutes] = (schedule.time ?? '00:00').split(':').map(Number) as [number, number];
  const slot = new Date(now);
  slot.setUTCSeconds(0, 0);
  if (schedule.frequency === 'hourly') {
    slot.setUTCMinutes(minutes);
    if (slot > now) slot.setUTCHours(slot.getUTCHours() - 1);
    return slot;
  }
  slot.setUTCHours(hours, minutes);
  if (schedule.frequency === 'daily') {
    if (slot > now) slot.setUTCDate(slot.getUTCDate() - 1);
    return slot;
  }
  const wanted = DAYS.indexOf(schedule.dayOfWeek ?? 'sunday');
  slot.setUTCDate(slot.getUTCDate() - ((slot.getUTCDay() - wanted + 7) % 7));
  if (slot > now) slot.setUTCDate(slot.getUTCDate() - 7);
  return slot;
}

/** The slot to dispatch now, if any: the latest one, when it is newer than the last dispatched and recent. */
export function dueSlot(schedule: ScanSchedule, now: Date, lastDispatched: string | undefined): Date | null {
  const slot = latestSlot(schedule, now);
  if (!slot) return null;
  if (now.getTime() - slot.getTime() > CATCH_UP_MS) return null;
  if (lastDispatched && Date.parse(lastDispatched) >= slot.getTime()) return null;
  return slot;
}
