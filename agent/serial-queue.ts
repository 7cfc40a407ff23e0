/**
 * Runs tasks one at a time, in order: scans share the hash cache and must reach the server in the
 * order they were taken, whether a poll, a spool flush or a real-time trigger asked for them.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly queuedKeys = new Set<string>();

  /** Runs `task` after everything queued before it. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Like run(), but at most one task per key waits in the queue: a burst of triggers for the same
   * policy becomes one scan. The key is released when the task starts, so a change that happens
   * during the scan queues the next one. Answers null when one was already waiting.
   */
  runOnce<T>(key: string, task: () => Promise<T>): Promise<T> | null {
    if (this.queuedKeys.has(key)) return null;
    this.queuedKeys.add(key);
    return this.run(() => {
      this.queuedKeys.delete(key);
      return task();
    });
  }

  /** Resolves once everything queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
