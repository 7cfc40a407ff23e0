/**
 * The shapes every benchmark shares. A benchmark is one file under bench/benchmarks/ exporting
 * `benchmark: Benchmark`; run.ts discovers the files, runs them in file-name order and prints their rows.
 */
import type { BenchContext } from './context.ts';

/** Resources of one process, as /usr/bin/time reports them (wall from the parent's clock). */
export interface Proc {
  wallS: number;
  userS: number | null;
  sysS: number | null;
  /** user + sys */
  cpuS: number | null;
  /** Peak resident set, MiB. */
  maxRssMiB: number | null;
}

export type Unit = 's' | 'ms' | 'B' | 'KiB' | 'MiB' | 'count' | 'req/s' | 'MB/s' | '%' | 'WCU' | 'RCU' | 'USD';

export interface Figure {
  label: string;
  value: number;
  unit: Unit;
  proc?: Proc;
}

export interface Row extends Figure {
  /** Stable key for latest.json consumers, e.g. "baseline.small.e2e". */
  id: string;
  /** The same-run figure this one is compared against (AIDE, sha256sum). */
  anchor?: Figure;
  /** "1.66x faster", "0.82x (slower)"; filled by ratio() when an anchor exists. */
  ratio?: string;
  /** The DESIGN.md target in words and whether this run met it. */
  target?: { text: string; met: boolean };
  notes?: string;
  /** Anything else worth keeping in latest.json (breakdowns, per-repeat values). */
  data?: Record<string, unknown>;
}

export interface Benchmark {
  /** Short, unique; `--only` matches it. */
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<Row[]>;
}
