import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../lib/proc.ts';
import { enrollSimulatedAgents } from '../lib/simulated-agents.ts';
import type { Benchmark, Row } from '../lib/types.ts';

/**
 * Issue 19's load: N simulated agents (200 by default, each enrolled for real) checking in, scanning and
 * uploading over the raw protocol against the local stack for S seconds (120 by default; --fleet-seconds),
 * loopback only, from a separate client process. Then the queues are drained and every scan whose upload was
 * accepted must be ingested: the figures are latency p50/p99 and throughput, and the two counts that must be
 * zero (5xx answers, scans lost).
 */
const SCAN_EVERY_SECONDS = 10;
const FILES = 20;

export const benchmark: Benchmark = {
  name: 'fleet-load',
  description: 'N agents checking in, scanning and uploading: p50/p99, throughput, no 5xx, no lost scan (local stack)',
  async run(ctx) {
    const bs = await ctx.stack();
    const n = ctx.opts.fleetAgents;
    const admin = bs.stack.credentials.adminKey;
    const policy = await bs.api('POST', '/v1/policies', { name: 'fleet', platform: 'linux', targets: [{ path: '/etc' }] }, admin);
    if (policy.status !== 201) throw new Error(`policy: ${policy.status} ${JSON.stringify(policy.json)}`);
    const group = await bs.api('POST', '/v1/server-groups', { name: 'fleet', tag: 'fleet', policyIds: [policy.json.id] }, admin);
    if (group.status !== 201) throw new Error(`group: ${group.status} ${JSON.stringify(group.json)}`);
    ctx.log(`enrolling ${n} simulated agents`);
    const credentials = await enrollSimulatedAgents(bs, n, 'fleet', 'fleet');
    const dir = join(ctx.workDir, 'fleet');
    mkdirSync(dir, { recursive: true });
    const specFile = join(dir, 'spec.json');
    const seconds = ctx.opts.fleetSeconds;
    writeFileSync(specFile, JSON.stringify({ apiUrl: bs.stack.apiUrl, policyId: policy.json.id, credentials, seconds, scanEverySeconds: SCAN_EVERY_SECONDS, files: FILES }));
    const client = await ctx.script('fleet-client');

    ctx.log(`fleet: ${n} agents checking in and scanning every ${SCAN_EVERY_SECONDS} s for ${seconds} s`);
    const cpu0 = process.cpuUsage();
    const r = await ctx.profiled('fleet-load', () => run(process.execPath, [client, specFile]));
    const serverCpuS = (() => {
      const cpu = process.cpuUsage(cpu0);
      return (cpu.user + cpu.system) / 1e6;
    })();
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);

    // Every accepted upload must become a completed scan once the queues are drained.
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await bs.stack.drain();
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
      }
    }
    const drainS = (performance.now() - t0) / 1000;
    const scanIds: string[] = out.completed;
    const notIngested: string[] = [];
    for (let i = 0; i < scanIds.length; i += 25) {
      const answers = await Promise.all(scanIds.slice(i, i + 25).map(async (id) => ({ id, scan: await bs.api('GET', `/v1/scans/${id}`, undefined, admin) })));
      for (const { id, scan } of answers) if (scan.status !== 200 || scan.json.status !== 'completed') notIngested.push(`${id}: ${scan.status} ${scan.json?.status}`);
    }

    const all = out.latency.all;
    const common = `${n} agents, ${seconds} s`;
    const perKind = ['check-in', 'open', 'nodes', 'complete'].map((k) => `${k} p50 ${out.latency[k].p50.toFixed(1)} / p99 ${out.latency[k].p99.toFixed(1)} ms (${out.latency[k].count})`).join('; ');
    const rows: Row[] = [
      { id: 'fleet.p50', label: `Agent protocol latency p50 (${common})`, value: all.p50, unit: 'ms', notes: perKind, data: { latency: out.latency, statuses: out.statuses } },
      { id: 'fleet.p99', label: `Agent protocol latency p99 (${common})`, value: all.p99, unit: 'ms', notes: `max ${all.max.toFixed(1)} ms` },
      {
        id: 'fleet.rps',
        label: `Agent protocol throughput (${common})`,
        value: out.rps,
        unit: 'req/s',
        notes: `${all.count} requests, ${scanIds.length} scans uploaded (${(scanIds.length / out.seconds).toFixed(1)} scans/s); client ${out.clientCpuS.toFixed(1)} s CPU; stack process ${serverCpuS.toFixed(1)} s CPU; drain after the load ${drainS.toFixed(1)} s`,
      },
      {
        id: 'fleet.5xx',
        label: `5xx answers and network errors under the fleet load`,
        value: out.fiveXxCount + out.errors,
        unit: 'count',
        target: { text: 'none', met: out.fiveXxCount + out.errors === 0 },
        notes: out.fiveXxCount + out.errors === 0 ? `statuses ${JSON.stringify(out.statuses)}` : `${out.fiveXxCount} x 5xx, ${out.errors} network errors: ${out.fiveXx.join(' | ')}`,
      },
      {
        id: 'fleet.lost-scans',
        label: `Uploaded scans not ingested after the drain`,
        value: notIngested.length,
        unit: 'count',
        target: { text: 'none', met: notIngested.length === 0 },
        notes: notIngested.length === 0 ? `all ${scanIds.length} completed` : notIngested.slice(0, 10).join('; '),
      },
    ];
    return rows;
  },
};
