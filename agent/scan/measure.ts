/**
 * Times scanPolicy over an existing directory: a baseline (no cache) then unchanged rescans.
 * Generates nothing. Not part of npm test.
 *
 *   npx tsx agent/scan/measure.ts <dir> [--cpu high|medium|low] [--algorithm sha256] [--rescans 3]
 *                                       [--cache <dir>] [--full] [--threads N]
 *
 * With --cache, the cache directory is kept (and reused if it already holds a cache), so a rescan in a
 * fresh process can be timed: run once to create it, then again.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AgentPolicy } from '../../functions/contract/agent.schemas.ts';
import { newTarget } from '../../functions/contract/target-defaults.ts';
import { buildTree } from '../../functions/contract/tree.ts';
import { scanPolicy, type PolicyScanResult } from './scan-policy.ts';
import type { CpuUsage } from './throttle.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const dir = process.argv[2];
if (!dir || dir.startsWith('--')) {
  console.error('usage: npx tsx agent/scan/measure.ts <dir> [--cpu high|medium|low] [--algorithm sha256] [--rescans N] [--cache DIR] [--full] [--threads N]');
  process.exit(2);
}
const cpu = (arg('cpu') ?? 'high') as CpuUsage;
const algorithm = (arg('algorithm') ?? 'sha256') as AgentPolicy['hashAlgorithm'];
const rescans = Number(arg('rescans') ?? 3);
const keepCache = arg('cache');
const threads = arg('threads') === undefined ? undefined : Number(arg('threads'));
const cacheDir = keepCache ? resolve(keepCache) : mkdtempSync(join(tmpdir(), 'dw-measure-'));

const policy: AgentPolicy = {
  id: 'measure',
  name: 'measure',
  state: 'on',
  hashAlgorithm: algorithm,
  cpuUsage: cpu,
  fullRehashEvery: 1000,
  targets: [{ id: 't', ...newTarget(resolve(dir)) }],
};

async function timed(label: string, full: boolean): Promise<PolicyScanResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await scanPolicy(policy, { cacheDir, full, hashThreads: threads });
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  const t1 = performance.now();
  const tree = buildTree(result.entries);
  const treeMs = performance.now() - t1;
  const cpuPct = ((used.user + used.system) / 1000 / wall) * 100;
  console.log(
    `${label.padEnd(10)} wall ${wall.toFixed(0).padStart(6)} ms  cpu ${cpuPct.toFixed(0).padStart(3)}%  ` +
      `entries ${result.filesScanned}  hashed ${result.filesHashed} (${(result.bytesHashed / 1e6).toFixed(1)} MB)  ` +
      `full ${result.full}  errors ${result.errors?.length ?? 0}  (+buildTree ${treeMs.toFixed(0)} ms, root ${tree.root})`,
  );
  return result;
}

try {
  console.log(`scanPolicy ${resolve(dir)}  cpuUsage=${cpu}  algorithm=${algorithm}  threads=${threads ?? 'default'}  node ${process.version}  load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  await timed(keepCache ? 'scan' : 'baseline', process.argv.includes('--full'));
  for (let i = 1; i <= rescans; i++) await timed(`rescan ${i}`, false);
} finally {
  if (!keepCache) rmSync(cacheDir, { recursive: true, force: true });
}
