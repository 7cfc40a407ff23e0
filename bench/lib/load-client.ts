/**
 * Load generator for the API: `concurrency` simulated agents, each checking in back to back with its
 * own real credential, for `seconds` after a warm-up. Runs as its own process (bundled by the bench) so
 * the client does not share an event loop with the stack it measures. Prints one JSON line.
 *
 *   node load-client.mjs <spec.json>   spec: {apiUrl, credentials[], concurrency, seconds, warmupSeconds}
 */
import { readFileSync } from 'node:fs';

interface Spec {
  apiUrl: string;
  credentials: string[];
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Spec;
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let errors = 0;
let allRequests = 0;

async function agent(i: number, measureFrom: number, until: number): Promise<void> {
  const token = spec.credentials[i % spec.credentials.length]!;
  let configVersion: string | null = null;
  while (performance.now() < until) {
    const t0 = performance.now();
    let status = 'error';
    try {
      const res = await fetch(`${spec.apiUrl}/v1/agent/check-in`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ agentVersion: '1', configVersion }),
      });
      const body = (await res.json()) as { configVersion?: string };
      status = String(res.status);
      if (res.status === 200 && body.configVersion) configVersion = body.configVersion; // as a real agent does
    } catch {
      errors += 1;
    }
    const t1 = performance.now();
    allRequests += 1;
    if (t0 >= measureFrom) {
      latencies.push(t1 - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }
}

const start = performance.now();
const measureFrom = start + spec.warmupSeconds * 1000;
const until = measureFrom + spec.seconds * 1000;
const cpu0 = process.cpuUsage();
await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => agent(i, measureFrom, until)));
const elapsed = (performance.now() - measureFrom) / 1000;
const cpu = process.cpuUsage(cpu0);
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    allRequests,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    statuses,
    errors,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: latencies[latencies.length - 1] ?? 0,
    mean: latencies.reduce((s, v) => s + v, 0) / (latencies.length || 1),
    clientCpuS: (cpu.user + cpu.system) / 1e6,
  })}\n`,
);
