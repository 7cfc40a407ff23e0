/**
 * CPU usage levels (policy.cpuUsage). The walk calls `due()` after each entry (and each MiB of a large
 * file); when a slice of work is over, `pause()` sleeps so that busy time / wall time is about the
 * level's share: high 100% (it only yields to the event loop now and then so timers and sockets of the
 * rest of the agent keep running), medium 50%, low 20%.
 */
export type CpuUsage = 'high' | 'medium' | 'low';

export const CPU_SHARE: Record<CpuUsage, number> = { high: 1, medium: 0.5, low: 0.2 };

export interface ThrottleOptions {
  /** Busy milliseconds per slice (default 200 for high, 20 for medium/low). */
  sliceMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Sleep, for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Throttle {
  readonly share: number;
  /** Total milliseconds spent sleeping, for reports. */
  sleptMs = 0;
  private readonly sliceMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private sliceStart: number;

  constructor(level: CpuUsage = 'high', options: ThrottleOptions = {}) {
    this.share = CPU_SHARE[level] ?? 1;
    this.sliceMs = options.sliceMs ?? (this.share >= 1 ? 200 : 20);
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.sliceStart = this.now();
  }

  /** True when the current slice of work is over and `pause()` should be awaited. */
  due(): boolean {
    return this.now() - this.sliceStart >= this.sliceMs;
  }

  /** Ends a slice: sleeps busy * (1 - share) / share (high: just yields), then starts the next slice. */
  async pause(): Promise<void> {
    const busy = this.now() - this.sliceStart;
    if (this.share >= 1) {
      await yieldToLoop();
    } else {
      const ms = (busy * (1 - this.share)) / this.share;
      const before = this.now();
      await this.sleep(ms);
      this.sleptMs += this.now() - before;
    }
    this.sliceStart = this.now();
  }
}
