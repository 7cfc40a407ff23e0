import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../lib/proc.ts';
import { enrollSimulatedAgents } from '../lib/simulated-agents.ts';
import type { Benchmark, Row } from '../lib/types.ts';

/**
 * The API under load: N simulated agents (each enrolled for real, with its own credential) checking in
 * back to back for S seconds against the local stack, from a separate client process. Latency
 * percentiles as the client sees them, throughput, the stack process's CPU per request, and the
 * DynamoDB requests per check-in (the steady state is one BatchGet).
 */

export const benchmark: Benchmark = {
  name: 'api-load',
  description: 'API p50/p99 latency under N concurrent agents checking in (local stack)',
  async run(ctx) {
    const bs = await ctx.stack();
    const n = ctx.opts.loadAgents;
    ctx.log(`enrolling ${n} simulated agents`);
    const credentials = await enrollSimulatedAgents(bs, n, 'load');
    const dir = join(ctx.workDir, 'load');
    mkdirSync(dir, { recursive: true });
    const specFile = join(dir, 'spec.json');
    const warmupSeconds = 1;
    writeFileSync(specFile, JSON.stringify({ apiUrl: bs.stack.apiUrl, credentials, concurrency: n, seconds: ctx.opts.loadSeconds, warmupSeconds }));
    const client = await ctx.script('load-client');

    ctx.log(`load: ${n} agents checking in for ${warmupSeconds} s warm-up + ${ctx.opts.loadSeconds} s`);
    const before = bs.meter.snapshot();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await ctx.profiled('api-load', () => run(process.execPath, [client, specFile]));
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const ddb = bs.meter.since(before).api;
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const serverCpuS = (cpu.user + cpu.system) / 1e6;
    const perReq = out.allRequests > 0 ? (ddb?.requests ?? 0) / out.allRequests : 0;
    const ok = out.statuses['200'] ?? 0;
    const common = `${n} agents, ${ctx.opts.loadSeconds} s`;
    const rows: Row[] = [
      {
        id: 'api.load.p50',
        label: `API check-in latency p50 (${common})`,
        value: out.p50,
        unit: 'ms',
        notes: `p90 ${out.p90.toFixed(1)} ms, max ${out.max.toFixed(1)} ms, mean ${out.mean.toFixed(1)} ms; statuses ${JSON.stringify(out.statuses)}, ${out.errors} network errors`,
        data: out,
      },
      { id: 'api.load.p99', label: `API check-in latency p99 (${common})`, value: out.p99, unit: 'ms' },
      {
        id: 'api.load.rps',
        label: `API check-in throughput (${common})`,
        value: out.rps,
        unit: 'req/s',
        notes: `${ok} x 200 measured; client process ${out.clientCpuS.toFixed(1)} s CPU, peak RSS ${r.proc.maxRssMiB} MiB; stack process ${serverCpuS.toFixed(1)} s CPU over ${wallS.toFixed(1)} s (${((serverCpuS / out.allRequests) * 1000).toFixed(2)} ms CPU per request)`,
      },
      {
        id: 'api.load.ddb-per-check-in',
        label: 'DynamoDB requests per check-in under load',
        value: perReq,
        unit: 'count',
        notes: `${ddb?.requests ?? 0} requests for ${out.allRequests} check-ins (warm-up included): ${Object.entries(ddb?.byCommand ?? {}).map(([c, k]) => `${c.replace(/Command$/, '')} ${k}`).join(', ')}; ${ddb?.rcu ?? 0} RCU`,
        data: { ddb },
      },
    ];
    rows[3]!.value = Math.round(perReq * 100) / 100;
    return rows;
  },
};
