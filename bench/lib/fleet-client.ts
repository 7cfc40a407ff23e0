/**
 * Load generator for the whole agent protocol: `agents` simulated agents, each with its own real credential,
 * checking in back to back and, every `scanEverySeconds`, running a scan over the wire (open, upload every node
 * of its tree gzip'd, complete) of a small tree in which two files change per scan. Runs as its own process
 * (bundled by the bench) so the client does not share an event loop with the stack it measures. Prints one
 * JSON line: latencies per kind of request, statuses, and the id of every scan whose `complete` was accepted.
 *
 *   node fleet-client.mjs <spec.json>   spec: {apiUrl, policyId, credentials[], seconds, scanEverySeconds, files}
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { buildTree } from '../../functions/contract/tree.ts';
import { wireNodes, wireTree } from '../../test/helpers/wire-scan.ts';

interface Spec {
  apiUrl: string;
  policyId: string;
  credentials: string[];
  seconds: number;
  scanEverySeconds: number;
  files: number;
}

type Kind = 'check-in' | 'open' | 'nodes' | 'complete';
const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Spec;
const latencies: Record<Kind | 'all', number[]> = { 'check-in': [], open: [], nodes: [], complete: [], all: [] };
const statuses: Record<string, number> = {};
const fiveXx: string[] = [];
const completed: string[] = [];
let errors = 0;

/** One timed request; answers the status and JSON body (undefined on a network error). */
async function call(kind: Kind, token: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: any } | undefined> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${spec.apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body });
    const text = await res.text();
    const ms = performance.now() - t0;
    latencies[kind].push(ms);
    latencies.all.push(ms);
    statuses[`${kind} ${res.status}`] = (statuses[`${kind} ${res.status}`] ?? 0) + 1;
    if (res.status >= 500) fiveXx.push(`${kind} ${res.status} ${text.slice(0, 200)}`);
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  } catch {
    errors += 1;
    return undefined;
  }
}

async function scan(token: string, i: number, version: number): Promise<void> {
  const open = await call('open', token, '/v1/agent/scans', JSON.stringify({ kind: 'on-demand' }));
  if (open?.status !== 201) return;
  const scanId = open.json.id as string;
  // Two files change per scan (a different pair each time), the others keep their content.
  const entries = wireTree('/etc', spec.files, (f) => (f % (spec.files / 2) === version % (spec.files / 2) ? `v${version}` : `agent${i}`));
  const tree = buildTree(entries);
  const nodes = await call('nodes', token, `/v1/agent/scans/${scanId}/nodes`, gzipSync(JSON.stringify({ policyId: spec.policyId, nodes: wireNodes(tree) })), { 'content-encoding': 'gzip' });
  if (nodes?.status !== 200) return;
  const done = await call('complete', token, `/v1/agent/scans/${scanId}/complete`, JSON.stringify({ results: [{ policyId: spec.policyId, root: tree.root, filesScanned: entries.length }] }));
  if (done && done.status < 300) completed.push(scanId);
}

async function agent(i: number, until: number): Promise<void> {
  const token = spec.credentials[i]!;
  let configVersion: string | null = null;
  // Spread the first scans over the first interval, as a fleet's schedules are.
  let nextScanAt = performance.now() + (i / spec.credentials.length) * spec.scanEverySeconds * 1000;
  let version = 0;
  while (performance.now() < until) {
    const res = await call('check-in', token, '/v1/agent/check-in', JSON.stringify({ agentVersion: '1', configVersion }));
    if (res?.status === 200 && res.json.configVersion) configVersion = res.json.configVersion;
    if (performance.now() >= nextScanAt) {
      nextScanAt = performance.now() + spec.scanEverySeconds * 1000;
      await scan(token, i, version++);
    }
  }
}

const start = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(spec.credentials.map((_, i) => agent(i, start + spec.seconds * 1000)));
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { count: sorted.length, p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] ?? 0 };
};
process.stdout.write(
  `${JSON.stringify({
    seconds,
    rps: latencies.all.length / seconds,
    latency: Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, summary(v)])),
    statuses,
    fiveXx: fiveXx.slice(0, 20),
    fiveXxCount: fiveXx.length,
    errors,
    completed,
    clientCpuS: (cpu.user + cpu.system) / 1e6,
  })}\n`,
);
