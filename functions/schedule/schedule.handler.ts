import type { ScheduledEvent } from 'aws-lambda';
import { scheduleTick } from '../use-cases/schedule-tick.ts';

/** Runs every minute (EventBridge): everything due at `event.time` (use-cases/schedule-tick.ts). */
export async function handler(event: Pick<ScheduledEvent, 'time'>): Promise<void> {
  await scheduleTick(new Date(event.time));
}
