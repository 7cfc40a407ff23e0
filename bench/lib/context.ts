import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ensureDebianTools, type Tool } from './aide.ts';
import { hasGnuTime, runShell, sq } from './proc.ts';
import type { SelfProfiler } from './self-profile.ts';
import { agentScan, enrollAgent, newTenant, startBenchStack, type AgentHandle, type BenchStack, type ScanRun } from './stack.ts';
import { ensureTree, mutate, type Mutation, type Tree, type TreeSpec } from './trees.ts';

/**
 * What benchmarks share: options, the trees, the tools (aide), the local stack, the agent bundle and
 * one enrolled agent per tree. Everything is made on first use, so `--only` runs just what it needs.
 */

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface BenchOptions {
  smallFiles: number;
  smallMinBytes: number;
  smallMaxBytes: number;
  binFiles: number;
  binMinBytes: number;
  binMaxBytes: number;
  /** Files of the scale benchmark's tree (small etc-like files, as the small tree); 0 skips it. */
  largeFiles: number;
  /** Also run the scale benchmark on a 1,000,000-file tree. */
  million: boolean;
  /** Runs per timed figure (median reported). */
  repeats: number;
  loadAgents: number;
  loadSeconds: number;
  /** Simulated agents of the fleet load (check-in, scan, upload), and its measured seconds. */
  fleetAgents: number;
  fleetSeconds: number;
  /** Write .cpuprofile files to bench/work/profiles and summarise them. */
  profile: boolean;
  only: string[] | null;
  /** A Node 22 binary for the cold-import figure (DESIGN.md's target is on Node 22); default this node. */
  node22: string | null;
  workDir: string;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0 && process.argv[i + 1] !== undefined && !process.argv[i + 1]!.startsWith('--')) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

function num(flagName: string, envName: string, fallback: number): number {
  const raw = flag(flagName) ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${flagName} / ${envName} must be a non-negative number, not ${raw}`);
  return n;
}

export function parseOptions(): BenchOptions {
  if (process.argv.includes('--help')) {
    console.log(`npm run bench -- [options]   (each also as an environment variable)
  --small-files N     BENCH_SMALL_FILES   files in the etc-like tree (default 20000)
  --small-min B / --small-max B  BENCH_SMALL_MIN / BENCH_SMALL_MAX  file sizes (200 / 8192)
  --bin-files N       BENCH_BIN_FILES     files in the binary tree (default 2000)
  --bin-min B / --bin-max B      BENCH_BIN_MIN / BENCH_BIN_MAX      sizes (51200 / 5242880)
  --large-files N     BENCH_LARGE_FILES   files in the scale benchmark's tree (default 200000; 0 skips it)
  --million           BENCH_MILLION=1     the scale benchmark also on a 1,000,000-file tree (~2.1 GB, slow)
  --repeats N         BENCH_REPEATS       runs per timed figure, median reported (default 3)
  --load-agents N     BENCH_LOAD_AGENTS   simulated agents for the API load test (default 50)
  --load-seconds S    BENCH_LOAD_SECONDS  measured seconds of load (default 10)
  --fleet-agents N    BENCH_FLEET_AGENTS  simulated agents checking in, scanning and uploading (default 200)
  --fleet-seconds S   BENCH_FLEET_SECONDS measured seconds of the fleet load (default 120)
  --only a,b          BENCH_ONLY          run only these benchmarks (names as listed)
  --profile           BENCH_PROFILE=1     write .cpuprofile files to bench/work/profiles and summarise them
  --node22 PATH       BENCH_NODE22        a Node 22 binary for the API cold-import figure (default: npx node@22)`);
    process.exit(0);
  }
  const only = flag('only') ?? process.env.BENCH_ONLY;
  return {
    smallFiles: num('small-files', 'BENCH_SMALL_FILES', 20_000),
    smallMinBytes: num('small-min', 'BENCH_SMALL_MIN', 200),
    smallMaxBytes: num('small-max', 'BENCH_SMALL_MAX', 8192),
    binFiles: num('bin-files', 'BENCH_BIN_FILES', 2000),
    binMinBytes: num('bin-min', 'BENCH_BIN_MIN', 50 * 1024),
    binMaxBytes: num('bin-max', 'BENCH_BIN_MAX', 5 * 1024 * 1024),
    largeFiles: num('large-files', 'BENCH_LARGE_FILES', 200_000),
    million: process.argv.includes('--million') || ['1', 'true', 'yes'].includes(process.env.BENCH_MILLION ?? ''),
    repeats: Math.max(1, Math.round(num('repeats', 'BENCH_REPEATS', 3))),
    loadAgents: Math.max(1, Math.round(num('load-agents', 'BENCH_LOAD_AGENTS', 50))),
    loadSeconds: num('load-seconds', 'BENCH_LOAD_SECONDS', 10),
    fleetAgents: Math.max(1, Math.round(num('fleet-agents', 'BENCH_FLEET_AGENTS', 200))),
    fleetSeconds: num('fleet-seconds', 'BENCH_FLEET_SECONDS', 120),
    profile: process.argv.includes('--profile') || ['1', 'true', 'yes'].includes(process.env.BENCH_PROFILE ?? ''),
    only: only ? only.split(',').map((s) => s.trim()).filter(Boolean) : null,
    node22: flag('node22') ?? process.env.BENCH_NODE22 ?? null,
    workDir: join(REPO, 'bench/work'),
  };
}

/** small: 20k etc-like files; bin: 2,000 binaries; large: the scale tree (200k); huge: 1M (--million). */
export type TreeName = 'small' | 'bin' | 'large' | 'huge';

export interface DdbCost {
  requests: number;
  /** Table write units as dynalite reports them. */
  wcu: number;
  /** Estimated GSI write units on top (dynalite leaves them out). */
  gsiWcu: number;
  rcu: number;
  byCommand: Record<string, number>;
}

/** What one agent scan cost: the "cost of every scan" table. */
export interface ScanCost {
  scan: string;
  filesScanned: number;
  changes: string;
  wallS: number;
  deliveredS: number | null;
  /** Of deliveredS, seconds the local API's handlers worked on the agent's requests (dynalite included). */
  apiS: number | null;
  cpuS: number | null;
  maxRssMiB: number | null;
  /** Request bodies of the scan itself as the agent meters them (create, complete, have, nodes). */
  bytesUploaded: number;
  /** Every request body of the process, check-in and status polls included. */
  requestBodyBytes: number;
  requests: number;
  byRoute: Record<string, { count: number; bytes: number }>;
  ddbApi: DdbCost;
  ddbIngest: DdbCost;
  ingestS: number | null;
}

export interface AgentOnTree extends AgentHandle {
  tree: Tree;
  baseline?: ScanRun;
}

export interface ScanOpts {
  full?: boolean;
  /** Profile name: run the unminified bundle with --cpu-prof into bench/work/profiles/<name>.cpuprofile. */
  profile?: string;
  onDelivered?: (scanId: string) => void;
}

export class BenchContext {
  readonly started = performance.now();
  readonly shared = new Map<string, unknown>();
  private trees = new Map<TreeName, Tree>();
  private toolsPromise?: Promise<Record<string, Tool>>;
  private stackPromise?: Promise<BenchStack>;
  private agentBinPromise?: Promise<{ path: string; kind: string; bytes?: number }>;
  private profileBinPromise?: Promise<string>;
  private scripts = new Map<string, Promise<string>>();
  private agents = new Map<string, Promise<AgentOnTree>>();
  private mutated = new Map<TreeName, Set<string>>();
  private warmed = new Map<TreeName, Promise<void>>();
  readonly costs: ScanCost[] = [];

  /** Set by run.ts with --profile: the bench process's own CPU profile. */
  selfProfiler: SelfProfiler | null = null;

  constructor(readonly opts: BenchOptions) {
    mkdirSync(opts.workDir, { recursive: true });
  }

  get workDir(): string {
    return this.opts.workDir;
  }

  get profileDir(): string {
    const dir = join(this.workDir, 'profiles');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  log = (message: string): void => {
    const s = ((performance.now() - this.started) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[bench ${s} s] ${message}\n`);
  };

  specOf(name: TreeName): TreeSpec {
    const o = this.opts;
    switch (name) {
      case 'small':
        return { name, files: o.smallFiles, minBytes: o.smallMinBytes, maxBytes: o.smallMaxBytes, seed: 20_000 };
      case 'bin':
        return { name, files: o.binFiles, minBytes: o.binMinBytes, maxBytes: o.binMaxBytes, seed: 2_000 };
      case 'large':
        return { name, files: o.largeFiles, minBytes: o.smallMinBytes, maxBytes: o.smallMaxBytes, seed: 200_000 };
      case 'huge':
        return { name, files: 1_000_000, minBytes: o.smallMinBytes, maxBytes: o.smallMaxBytes, seed: 1_000_000 };
    }
  }

  tree(name: TreeName): Tree {
    let t = this.trees.get(name);
    if (!t) {
      t = ensureTree(join(this.workDir, 'trees'), this.specOf(name), this.log);
      this.log(
        `${name} tree: ${t.files.length} files, ${t.symlinks.length} symlinks, ${t.dirs} dirs, ${(t.bytes / 1e6).toFixed(1)} MB` +
          (t.generated ? ` (generated in ${t.generateS.toFixed(1)} s)` : ' (reused)'),
      );
      this.trees.set(name, t);
    }
    return t;
  }

  /** Changes a tree in place (it is regenerated by the next run). */
  mutate(name: TreeName, counts: { modify: number; add: number; remove: number }, seed: number): Mutation {
    let used = this.mutated.get(name);
    if (!used) this.mutated.set(name, (used = new Set()));
    return mutate(this.tree(name), counts, seed, used);
  }

  /** Reads every file of the tree once, so every measurement runs on a warm page cache. */
  warm(name: TreeName): Promise<void> {
    let p = this.warmed.get(name);
    if (!p) {
      const tree = this.tree(name);
      p = runShell(`find ${sq(tree.dir)} -type f -print0 | xargs -0 cat > /dev/null`).then(() => undefined);
      this.warmed.set(name, p);
    }
    return p;
  }

  /** Records what an agent scan cost, for the per-scan cost table. */
  cost(scan: string, run: ScanRun, changes = 'none'): ScanCost {
    const zero: DdbCost = { requests: 0, wcu: 0, gsiWcu: 0, rcu: 0, byCommand: {} };
    const pick = (t: ScanRun['ddb'][string] | undefined): DdbCost =>
      t ? { requests: t.requests, wcu: t.wcu, gsiWcu: t.gsiWcuEstimate, rcu: t.rcu, byCommand: t.byCommand } : zero;
    const c: ScanCost = {
      scan,
      filesScanned: Number(run.json.filesScanned ?? 0),
      changes,
      wallS: run.proc.wallS,
      deliveredS: run.deliveredS,
      apiS: run.apiUntilDeliveredS,
      cpuS: run.proc.cpuS,
      maxRssMiB: run.proc.maxRssMiB,
      bytesUploaded: Number(run.json.bytesUploaded ?? 0),
      requestBodyBytes: run.requests.bodyBytes,
      requests: run.requests.count,
      byRoute: run.requests.byRoute,
      ddbApi: pick(run.ddb.api),
      ddbIngest: pick(run.ddb['worker:scan-ingest']),
      ingestS: run.ingest?.durationS ?? null,
    };
    this.costs.push(c);
    return c;
  }

  /** aide (and GNU time when missing), from Debian's packages; installed when running as root. */
  tools(): Promise<Record<string, Tool>> {
    this.toolsPromise ??= ensureDebianTools({ aide: 'aide', ...(hasGnuTime() ? {} : { time: 'time' }) }, this.log);
    return this.toolsPromise;
  }

  async aide(): Promise<Tool> {
    return (await this.tools()).aide!;
  }

  stack(): Promise<BenchStack> {
    this.stackPromise ??= (async () => {
      this.log('starting the local stack (dynalite, SQS, workers, API) in this process');
      const bs = await startBenchStack(join(this.workDir, 'stack'));
      this.log(`local stack at ${bs.stack.apiUrl}`);
      return bs;
    })();
    return this.stackPromise;
  }

  /**
   * The agent as deployed: the single-file bundle of scripts/build-agent.ts, built into bench/work
   * (dist/ is left alone). Falls back to the tsx launcher when there is no build script.
   */
  agentBin(): Promise<{ path: string; kind: string; bytes?: number }> {
    this.agentBinPromise ??= (async () => {
      const script = join(REPO, 'scripts/build-agent.ts');
      if (!existsSync(script)) return { path: join(REPO, 'agent/bin/driftwatch-agent.mjs'), kind: 'agent/bin/driftwatch-agent.mjs (tsx, no build script)' };
      const { buildAgent } = (await import(script)) as { buildAgent: (out: string) => Promise<{ outfile: string; bytes: number }> };
      const built = await buildAgent(join(this.workDir, 'agent/driftwatch-agent.mjs'));
      this.log(`agent bundle built: ${built.outfile} (${(built.bytes / 1024).toFixed(1)} KiB)`);
      const kind = `node bench/work/agent/driftwatch-agent.mjs (the scripts/build-agent.ts bundle, ${(built.bytes / 1024).toFixed(0)} KiB)`;
      return { path: built.outfile, kind, bytes: built.bytes };
    })();
    return this.agentBinPromise;
  }

  /** The same bundle unminified, so a CPU profile names functions as the sources do. */
  profileAgentBin(): Promise<string> {
    this.profileBinPromise ??= this.bundle(join(REPO, 'agent/main.ts'), join(this.workDir, 'agent/driftwatch-agent.profile.mjs'));
    return this.profileBinPromise;
  }

  /** A bench helper script (bench/lib/<name>.ts) bundled to bench/work/scripts/<name>.mjs. */
  script(name: string): Promise<string> {
    let p = this.scripts.get(name);
    if (!p) this.scripts.set(name, (p = this.bundle(join(REPO, 'bench/lib', `${name}.ts`), join(this.workDir, 'scripts', `${name}.mjs`))));
    return p;
  }

  private async bundle(entry: string, outfile: string): Promise<string> {
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
    });
    return outfile;
  }

  /** One agent enrolled on the local stack with a policy over `tree` (once per tree). */
  agent(name: TreeName): Promise<AgentOnTree> {
    let p = this.agents.get(name);
    if (!p) this.agents.set(name, (p = this.freshAgent(name, name)));
    return p;
  }

  /**
   * Another agent (its own server, policy and state dir) over the same tree; with `newTenant` in a tenant
   * of its own, whose empty node store makes its first scan a real first upload.
   */
  async freshAgent(name: TreeName, label: string, opts: { newTenant?: boolean } = {}): Promise<AgentOnTree> {
    const tree = this.tree(name);
    const [bs, bin] = await Promise.all([this.stack(), this.agentBin()]);
    const tenant = opts.newTenant ? await newTenant(bs, `bench ${label}`) : undefined;
    const handle = await enrollAgent(bs, { name: label, dir: tree.dir, agentBin: bin.path, workDir: this.workDir, tenant });
    return { ...handle, tree };
  }

  /** Runs `agent scan` for the tree's agent (its first run is the baseline). */
  async scan(name: TreeName, opts: ScanOpts = {}): Promise<ScanRun> {
    return this.scanWith(await this.agent(name), opts);
  }

  /** Runs `agent scan` as `agent`; with `profile`, the unminified bundle under --cpu-prof. */
  async scanWith(agent: AgentOnTree, opts: ScanOpts = {}): Promise<ScanRun> {
    const [bs, bin] = await Promise.all([this.stack(), this.agentBin()]);
    const profileBin = opts.profile ? await this.profileAgentBin() : undefined;
    const run = await agentScan(bs, agent, {
      agentBin: profileBin ?? bin.path,
      full: opts.full,
      onDelivered: opts.onDelivered,
      nodeArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir', this.profileDir, '--cpu-prof-name', `${opts.profile}.cpuprofile`] : [],
    });
    agent.baseline ??= run;
    return run;
  }

  /** The tree's agent, its baseline scan done (by the baseline benchmark, or now). */
  async baselined(name: TreeName): Promise<AgentOnTree> {
    const agent = await this.agent(name);
    if (!agent.baseline) {
      this.log(`agent baseline of the ${name} tree (needed first)`);
      await this.scan(name);
    }
    return agent;
  }

  /** Runs `fn` as its own segment of the bench process's profile (with --profile), e.g. the API under load. */
  profiled<T>(segment: string, fn: () => Promise<T>): Promise<T> {
    return this.selfProfiler ? this.selfProfiler.segment(segment, 'bench-script', fn) : fn();
  }

  /** Which agent binary the agent figures come from (undefined when no benchmark ran the agent). */
  async agentBinKind(): Promise<string | undefined> {
    return this.agentBinPromise ? (await this.agentBinPromise).kind : undefined;
  }

  /** Stops the local stack if a benchmark started it. */
  async close(): Promise<void> {
    if (this.stackPromise) await (await this.stackPromise).stack.stop();
  }

  elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }
}
