/**
 * CPU usage levels (policy.cpuUsage). The walk calls `due()` after each entry (and each MiB of a large
 * file); when a slice of work (20 ms of wall time) is over, `pause()` sleeps so that the CPU time the
 * process used during the slice (all its threads: V8's garbage collector and compiler threads count,
 * time blocked on disk does not) over the slice's wall time including the sleep is the level's share:
 * medium 50%, low 20%. High never sleeps; it only yields to the event loop every 10 ms so the timers
 * and sockets of the rest of the agent keep running (requests in flight while the walk runs, such as
 * the check-in, are answered without waiting for the walk; a yield costs microseconds).
 */
export type CpuUsage = 'high' | 'medium' | 'low';

export const CPU_SHARE: Record<CpuUsage, number> = { high: 1, medium: 0.5, low: 0.2 };

export interface ThrottleOptions {
  /** Busy milliseconds per slice (default 10 for high, 20 for medium/low). */
  sliceMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Sleep, for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** CPU milliseconds used by the process so far, for tests. */
  cpu?: () => number;
}

/** How often cpuUsage high yields to the event loop. */
const HIGH_SLICE_MS = 10;

const processCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Throttle {
  readonly share: number;
  /** Total milliseconds spent sleeping, for reports. */
  sleptMs = 0;
  private readonly sliceMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly cpu: () => number;
  /** Start of the current slice of work (for `due`). */
  private sliceStart: number;
  /** Accounting window: wall time since the previous sleep ended, CPU since it began. */
  private windowStart: number;
  private windowCpu: number;

  constructor(level: CpuUsage = 'high', options: ThrottleOptions = {}) {
    this.share = CPU_SHARE[level] ?? 1;
    this.sliceMs = options.sliceMs ?? (this.share >= 1 ? HIGH_SLICE_MS : 20);
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.cpu = options.cpu ?? processCpuMs;
    this.sliceStart = this.now();
    this.windowStart = this.sliceStart;
    this.windowCpu = this.share >= 1 ? 0 : this.cpu();
  }

  /** True when the current slice of work is over and `pause()` should be awaited. */
  due(): boolean {
    return this.now() - this.sliceStart >= this.sliceMs;
  }

  /**
   * Ends a slice: sleeps cpu / share - wall, measured over the window since the previous sleep ended;
   * CPU that other threads used during that sleep counts in this window (the sleep's wall time was
   * already paid for by the previous one). High just yields. Then starts the next slice.
   */
  async pause(): Promise<void> {
    if (this.share >= 1) {
      await yieldToLoop();
      this.sliceStart = this.now();
      return;
    }
    const now = this.now();
    const cpu = this.cpu();
    const ms = Math.min((cpu - this.windowCpu) / this.share - (now - this.windowStart), 5_000);
    this.windowCpu = cpu;
    if (ms > 0) {
      await this.sleep(ms);
      this.sleptMs += this.now() - now;
    } else {
      await yieldToLoop();
    }
    this.windowStart = this.sliceStart = this.now();
  }
}
