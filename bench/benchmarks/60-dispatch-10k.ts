import { asSource, newTenant, type Tally } from '../lib/stack.ts';
import type { Benchmark, Row } from '../lib/types.ts';
import { seedServers } from '../../test/helpers/fleet.ts';

/**
 * Scheduled dispatch of one group of 10,000 servers in one tick (DESIGN.md: "completes in one tick, with
 * SendMessageBatch and BatchWriteItem, request counts reported"): the tick at the group's slot until every
 * queue is drained (the tick claims the slot and sends one message; the scan-dispatch worker writes a
 * scan and an inbox entry per server). The servers are written straight into the table beforehand (as
 * enrollment stores them), so the figure is the dispatch's alone.
 */

const fmt = (byCommand: Record<string, number> | undefined) =>
  Object.entries(byCommand ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c.replace(/Command$/, '')} ${n}`)
    .join(', ') || 'none';

const sum = (tallies: Array<Tally | undefined>) => {
  const out = { requests: 0, wcu: 0, gsiWcuEstimate: 0, rcu: 0, byCommand: {} as Record<string, number> };
  for (const t of tallies) {
    if (!t) continue;
    out.requests += t.requests;
    out.wcu += t.wcu;
    out.gsiWcuEstimate += t.gsiWcuEstimate;
    out.rcu += t.rcu;
    for (const [c, n] of Object.entries(t.byCommand)) out.byCommand[c] = (out.byCommand[c] ?? 0) + n;
  }
  return out;
};

export const benchmark: Benchmark = {
  name: 'dispatch-10k',
  description: 'one tick dispatching scheduled scans to a group of 10,000 servers: wall time, DynamoDB and SQS requests, WCU',
  async run(ctx) {
    const n = 10_000;
    const bs = await ctx.stack();
    const tenant = await newTenant(bs, 'bench dispatch');
    const policy = await bs.api('POST', '/v1/policies', { name: 'fleet', platform: 'linux', targets: [{ path: '/etc' }] }, tenant.adminKey);
    const group = await bs.api('POST', '/v1/server-groups', { name: 'fleet', policyIds: [policy.json.id], scanSchedule: { frequency: 'daily', time: '04:00' } }, tenant.adminKey);
    if (group.status !== 201) throw new Error(`POST /v1/server-groups: ${group.status} ${JSON.stringify(group.json)}`);
    ctx.log(`writing ${n.toLocaleString('en-US')} servers into one group`);
    await seedServers(tenant.tenantId, group.json.id, n);

    const slot = new Date(Date.now() + 2 * 86_400_000);
    slot.setUTCHours(4, 0, 0, 0);
    const ddb0 = bs.meter.snapshot();
    const sqs0 = bs.sqsMeter.snapshot();
    const t0 = performance.now();
    await asSource('schedule', () => bs.stack.tick(slot));
    const wallS = (performance.now() - t0) / 1000;
    const ddb = bs.meter.since(ddb0);
    const sqs = bs.sqsMeter.since(sqs0);
    const worker = bs.workerRuns.filter((r) => r.queue === 'scan-dispatch' && r.startMs >= t0);
    const workerS = worker.reduce((s, r) => s + (r.endMs - r.startMs), 0) / 1000;

    const all = sum([ddb.schedule, ddb['worker:scan-dispatch']]);
    const wcu = Math.round(all.wcu + all.gsiWcuEstimate);
    const sqsAll: Record<string, number> = {};
    for (const by of Object.values(sqs)) for (const [c, k] of Object.entries(by)) sqsAll[c] = (sqsAll[c] ?? 0) + k;
    const sqsRequests = Object.values(sqsAll).reduce((a, b) => a + b, 0);
    const perServer = (all.requests / n).toFixed(3);
    return [
      {
        id: 'dispatch.10k.wall',
        label: `one tick, scheduled scans for a group of ${n.toLocaleString('en-US')} servers (tick -> queues drained)`,
        value: wallS,
        unit: 's',
        target: { text: 'completes in one tick (60 s)', met: wallS < 60 },
        notes: `dispatch worker ${workerS.toFixed(2)} s in ${worker.length} run(s); the rest is the tick and the local queue's poll`,
      },
      {
        id: 'dispatch.10k.ddb-requests',
        label: `DynamoDB requests, dispatch of ${n.toLocaleString('en-US')} scans (tick + worker)`,
        value: all.requests,
        unit: 'count',
        notes: `${perServer} per server; tick: ${fmt(ddb.schedule?.byCommand)}; worker: ${fmt(ddb['worker:scan-dispatch']?.byCommand)}`,
        data: { schedule: ddb.schedule, worker: ddb['worker:scan-dispatch'] },
      },
      {
        id: 'dispatch.10k.wcu',
        label: `DynamoDB write capacity, dispatch of ${n.toLocaleString('en-US')} scans`,
        value: wcu,
        unit: 'WCU',
        notes: `table ${Math.round(all.wcu)} WCU as dynalite reports it + ${Math.round(all.gsiWcuEstimate)} WCU estimated for the scans' index entries; ${Math.round(all.rcu)} RCU read`,
      },
      {
        id: 'dispatch.10k.sqs-requests',
        label: `SQS requests, dispatch of ${n.toLocaleString('en-US')} scans (senders)`,
        value: sqsRequests,
        unit: 'count',
        target: { text: 'SendMessageBatch, not a message per server', met: (sqsAll.SendMessageCommand ?? 0) === 0 && sqsRequests <= 2 },
        notes: fmt(sqsAll),
        data: sqs,
      },
    ] satisfies Row[];
  },
};
