/**
 * Walk + hash alone, in a fresh process: the agent's scanPolicy over one directory, without the CLI,
 * the API or the upload (the fair comparison with aide, which uploads nothing); with --tree, the tree
 * built on the way as the agent does (its time reported apart). The bench bundles this
 * file with esbuild and runs it under /usr/bin/time. Prints one JSON line.
 *
 *   node walk-hash.mjs <dir> --cache <dir> [--full] [--threads N] [--tree]
 */
import { resolve } from 'node:path';
import type { AgentPolicy } from '../../functions/contract/agent.schemas.ts';
import { newTarget } from '../../functions/contract/target-defaults.ts';
import { TreeBuilder } from '../../functions/contract/tree.ts';
import { scanPolicy } from '../../agent/scan/scan-policy.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const dir = resolve(process.argv[2]!);
const cacheDir = resolve(arg('cache')!);
const threads = arg('threads') === undefined ? undefined : Number(arg('threads'));

const policy: AgentPolicy = {
  id: 'bench',
  name: 'bench',
  state: 'on',
  hashAlgorithm: 'sha256',
  cpuUsage: 'high',
  fullRehashEvery: 1000,
  targets: [{ id: 't', ...newTarget(dir) }],
} as AgentPolicy;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
// --tree: the entries stream into the Merkle tree as the agent builds it (nodes dropped: no upload here).
const builder = process.argv.includes('--tree') ? new TreeBuilder(() => {}) : null;
let sinkMs = 0;
const sink = builder
  ? (entry: Parameters<TreeBuilder['add']>[0]) => {
      const t = performance.now();
      builder.add(entry);
      sinkMs += performance.now() - t;
    }
  : () => {};
const result = await scanPolicy(policy, { cacheDir, full: process.argv.includes('--full'), hashThreads: threads, sink });
const t1 = performance.now();
builder?.finish();
const scanMs = t1 - t0 - sinkMs;
const treeMs = builder ? sinkMs + performance.now() - t1 : undefined;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    scanMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    treeMs,
    filesScanned: result.filesScanned,
    filesHashed: result.filesHashed,
    bytesHashed: result.bytesHashed,
    full: result.full,
    errors: result.errors?.length ?? 0,
  })}\n`,
);
