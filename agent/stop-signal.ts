/**
 * Cooperative shutdown for `run`: SIGTERM/SIGINT set a flag that the loop checks between steps and
 * cut short its sleep. Work in flight may be abandoned at any point: the server keeps the scan
 * pending and the next start redoes it, so stopping never loses or duplicates results.
 */
export class StopSignal {
  stopped = false;
  private wake: (() => void) | null = null;

  trigger(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Sleeps `ms`, or less when trigger() (or interrupt()) is called meanwhile. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  /** Ends the current sleep early without stopping (e.g. to report a status change now). */
  interrupt(): void {
    this.wake?.();
  }
}

/** Installs SIGTERM/SIGINT handlers: first signal stops gracefully, a second one exits at once. */
export function onTermination(stop: StopSignal, graceMs: number, onFirst: () => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    onFirst();
    stop.trigger();
    // Do not let a slow upload hold the service past its stop timeout: abandoning is safe.
    setTimeout(() => process.exit(0), graceMs).unref();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
