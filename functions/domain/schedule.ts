/**
 * Schedule math, all in UTC: server-group scans (hourly, daily, weekly) and the tenant's weekly report
 * time share it. A schedule's slots are the instants it names; the minute tick claims the latest slot
 * that has come, and the next one is the first after it. A tick that comes late (an outage) therefore
 * claims one slot, late, never one per slot it missed. Pure: `now` comes in.
 */
export interface ScanSchedule {
  frequency: 'off' | 'hourly' | 'daily' | 'weekly';
  time?: string | undefined;
  dayOfWeek?: string | undefined;
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const HOUR_MS = 3_600_000;
const PERIOD_MS = { hourly: HOUR_MS, daily: 24 * HOUR_MS, weekly: 7 * 24 * HOUR_MS } as const;

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

/** The first slot strictly after `t` (UTC has no daylight saving, so a period is a fixed length), or null when off. */
export function nextSlotAfter(schedule: ScanSchedule, t: Date): Date | null {
  const latest = latestSlot(schedule, t);
  if (!latest) return null;
  return new Date(latest.getTime() + PERIOD_MS[schedule.frequency as keyof typeof PERIOD_MS]);
}
