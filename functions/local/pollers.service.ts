import type { Activity, QueueDepth } from './drain.ts';
import type { LocalLog } from './local-log.ts';
import { QueuePoller, type BatchReport, type SqsHandler } from './queue-poller.ts';
import type { QueuesService } from './queues.service.ts';
import type { LocalService } from './service.ts';

/** A queue's worker as the event source mapping runs it. */
export interface PollerSpec {
  name: string;
  batchSize: number;
  /** The worker's Lambda timeout (its context's remaining-time clock). */
  timeoutSeconds: number;
  load: () => Promise<SqsHandler>;
}

/**
 * The Lambda event source mappings: one QueuePoller per queue feeding its worker, woken by every send
 * to its queue. stop() lets each finish the batch in hand; what is still queued stays in the queue
 * (persisted) for the next start.
 */
export class PollersService implements LocalService {
  readonly name = 'queue pollers';
  private readonly pollers = new Map<string, QueuePoller>();

  constructor(
    private readonly o: { specs: PollerSpec[]; queues: QueuesService; activity: Activity; log: LocalLog; onBatch: (report: BatchReport) => void | Promise<void> },
  ) {}

  async start(): Promise<void> {
    for (const spec of this.o.specs) {
      const poller = new QueuePoller({
        name: spec.name,
        url: this.o.queues.urls[spec.name]!,
        batchSize: spec.batchSize,
        timeoutSeconds: spec.timeoutSeconds,
        sqs: this.o.queues.client,
        load: once(spec.load),
        log: this.o.log,
        onActivity: this.o.activity.bump,
        onBatch: this.o.onBatch,
      });
      this.pollers.set(spec.name, poller);
    }
    this.o.queues.onSent((queue) => {
      this.o.activity.bump();
      this.pollers.get(queue)?.wake();
    });
    for (const poller of this.pollers.values()) poller.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
  }

  /** Every polled queue's messages and in-flight records (DLQs are not polled, so not counted). */
  depths(): QueueDepth[] {
    return [...this.pollers.values()].map((p) => ({ name: p.name, ...this.o.queues.counts(p.name), inFlight: p.inFlight }));
  }
}

/** Loads a worker once; a failed load is tried again on the next batch. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
}
