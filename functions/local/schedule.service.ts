import type { Context, ScheduledEvent } from 'aws-lambda';
import type { Activity } from './drain.ts';
import { lambdaContext, scheduledEvent } from './lambda-events.ts';
import type { LocalLog } from './local-log.ts';
import type { LocalService } from './service.ts';

export type ScheduleHandler = (event: ScheduledEvent, context: Context) => Promise<void>;

const SCHEDULE_TIMEOUT_SECONDS = 300;

/**
 * The EventBridge rule: the schedule handler at every wall-clock minute (when `timer` is on) and on
 * each tick, one run at a time whichever asked for it.
 */
export class ScheduleService implements LocalService {
  readonly name = 'schedule timer';
  /** Runs asked for and not finished (drain() waits for them). */
  running = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: { timer: boolean; load: () => Promise<ScheduleHandler>; activity: Activity; log: LocalLog }) {}

  async start(): Promise<void> {
    if (this.o.timer) this.arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.chain;
  }

  /** Runs the schedule handler as EventBridge would at `time`, after any run already going. */
  run(time: Date): Promise<void> {
    this.running++;
    this.o.activity.bump();
    const run = this.chain.then(async () => {
      try {
        this.o.log('debug', `schedule run for ${time.toISOString()}`);
        const handler = await this.o.load();
        await handler(scheduledEvent(time), lambdaContext('driftwatch-schedule', SCHEDULE_TIMEOUT_SECONDS));
      } finally {
        this.running--;
        this.o.activity.bump();
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private arm(): void {
    const now = Date.now();
    const next = Math.floor(now / 60_000) * 60_000 + 60_000;
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.run(new Date(next)).catch((error) => this.o.log('error', 'the schedule run failed', { error }));
      this.arm();
    }, next - now);
  }
}
