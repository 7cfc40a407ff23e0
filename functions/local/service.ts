/**
 * One emulated piece of the cloud (the store, the queues, the mail sink, the pollers, the schedule
 * timer, the HTTP front). The stack starts them in order and stops them in reverse, as architect's
 * sandbox does: tests and `npm start` use the very same start and stop.
 */
export interface LocalService {
  readonly name: string;
  start(): Promise<void>;
  /** Releases what start() took; safe to call when start() failed halfway. */
  stop(): Promise<void>;
}

/** Starts services one after another and stops the started ones in reverse, each bounded in time. */
export class ServiceGroup {
  private readonly started: LocalService[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly onStopError: (service: string, error: unknown) => void) {}

  async start<S extends LocalService>(service: S): Promise<S> {
    try {
      await service.start();
    } catch (error) {
      await service.stop().catch(() => undefined);
      throw error;
    }
    this.started.push(service);
    return service;
  }

  /** Stops everything started so far; later calls return the same promise. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const service of [...this.started].reverse()) {
        try {
          await withTimeout(service.stop(), 20_000, `stopping ${service.name} took over 20 s`);
        } catch (error) {
          this.onStopError(service.name, error);
        }
      }
    })());
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
