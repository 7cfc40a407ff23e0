/** How busy one queue is: its messages and the records its worker holds right now. */
export interface QueueDepth {
  name: string;
  visible: number;
  notVisible: number;
  delayed: number;
  inFlight: number;
}

/** Raised by drain() when the queues do not empty in time; names what is still busy. */
export class DrainTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly busy: QueueDepth[],
  ) {
    const what = busy.map((q) => `${q.name} (${q.visible} visible, ${q.notVisible} not visible, ${q.delayed} delayed, ${q.inFlight} in flight)`);
    super(`queues not drained after ${Math.round(timeoutMs / 1000)} s: ${what.join('; ') || 'a schedule run is still going'}`);
    this.name = 'DrainTimeoutError';
  }
}

/**
 * A counter every part bumps when work starts or ends (a send, a batch, a schedule run), so drain()
 * can tell a settled moment from a quiet one between two steps of the same work.
 */
export class Activity {
  count = 0;
  bump = (): void => {
    this.count++;
  };
}

/**
 * Waits until no queue holds a message, no worker holds a record and no schedule run is going, twice
 * in a row with no activity in between; DrainTimeoutError after `timeoutMs`.
 */
export async function drain(deps: { depths: () => QueueDepth[]; scheduleRuns: () => number; activity: Activity; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + deps.timeoutMs;
  let quietPasses = 0;
  for (;;) {
    const before = deps.activity.count;
    const busy = deps.depths().filter((d) => d.visible + d.notVisible + d.delayed + d.inFlight > 0);
    // Let whatever is about to happen (a poller's receive, a worker's send) happen before judging.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const settled = busy.length === 0 && deps.scheduleRuns() === 0 && deps.activity.count === before;
    quietPasses = settled ? quietPasses + 1 : 0;
    if (quietPasses >= 2) return;
    if (Date.now() >= deadline) throw new DrainTimeoutError(deps.timeoutMs, busy);
    if (!settled) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
