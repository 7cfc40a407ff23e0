/**
 * When alert mail goes out, in UTC. Pure: times come in.
 *
 * Real-time changes are gathered per server into fixed windows (`windowSeconds` long, aligned to the epoch),
 * so a burst of writes makes one digest instead of a mail per write; the schedule tick sends a window once it
 * has ended. Flood control counts mails per profile per clock hour.
 */
const HOUR_MS = 60 * 60 * 1000;

/** The real-time window a change detected at `detectedAt` belongs to. */
export function alertWindowOf(detectedAt: Date, windowSeconds: number): { index: number; start: Date; end: Date } {
  const length = windowSeconds * 1000;
  const index = Math.floor(detectedAt.getTime() / length);
  return { index, start: new Date(index * length), end: new Date((index + 1) * length) };
}

/** The start of the UTC hour `time` falls in: the flood-control bucket. */
export function hourOf(time: Date): Date {
  return new Date(Math.floor(time.getTime() / HOUR_MS) * HOUR_MS);
}

/** `hour` moved by `hours` (negative for earlier ones). */
export function addHours(hour: Date, hours: number): Date {
  return new Date(hour.getTime() + hours * HOUR_MS);
}

/** `HH:MM` of a UTC time, as mail bodies show "since 10:00". */
export function clockTime(time: Date): string {
  return time.toISOString().slice(11, 16);
}

/** Mails one alert profile sends in an hour before the rest is held back and summed up (a tenant setting). */
export const DEFAULT_ALERT_MAILS_PER_PROFILE_PER_HOUR = 20;
