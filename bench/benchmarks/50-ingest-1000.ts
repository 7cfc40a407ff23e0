import { eventsOfScan, type BenchStack, type Tally } from '../lib/stack.ts';
import type { Benchmark, Row } from '../lib/types.ts';

/**
 * Backend cost of ingesting a 1,000-change scan (800 modified, 100 added, 100 removed files of the
 * small tree): DynamoDB requests by command and consumed capacity (ReturnConsumedCapacity=TOTAL on
 * the document client, as dynalite computes it), split into the API's share (the upload) and the
 * scan-ingest worker's; and the time from the upload being accepted until the API lists all 1,000 events.
 */

interface Visible {
  deliveredAt: number;
  ingestEndAt: number;
  visibleAt: number;
  polls: number;
}

async function watch(bs: BenchStack, serverId: string, scanId: string, expected: number, loggedAt: number): Promise<Visible> {
  // From the moment the API accepted the upload (its 200 to `complete`), not the agent's later log line.
  const deliveredAt = bs.completedAt.get(scanId) ?? loggedAt;
  const ingest = await bs.waitForWorker('scan-ingest', (b) => b?.scanId === scanId);
  let polls = 0;
  for (;;) {
    polls += 1;
    const events = await eventsOfScan(bs, serverId, scanId);
    if (events.length >= expected) return { deliveredAt, ingestEndAt: ingest.endMs, visibleAt: performance.now(), polls };
    if (performance.now() - deliveredAt > 120_000) throw new Error(`only ${events.length} of ${expected} events visible after 120 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const fmtCommands = (t: Tally | undefined) =>
  t
    ? Object.entries(t.byCommand)
        .sort((a, b) => b[1] - a[1])
        .map(([c, n]) => `${c.replace(/Command$/, '')} ${n}`)
        .join(', ')
    : 'none';

export const benchmark: Benchmark = {
  name: 'ingest-1000',
  description: 'DynamoDB requests and capacity to ingest a 1,000-change scan; time until its events are listed by the API',
  async run(ctx) {
    const bs = await ctx.stack();
    const agent = await ctx.baselined('small');
    const tree = ctx.tree('small');
    const what = `${Math.round(tree.files.length / 1000)}k small tree`;
    const m = ctx.mutate('small', { modify: 800, add: 100, remove: 100 }, 51);
    const expected = m.modified.length + m.added.length + m.removed.length;
    ctx.log(`agent rescan after ${m.modified.length} modified / ${m.added.length} added / ${m.removed.length} removed`);
    let watcher: Promise<Visible> | undefined;
    const run = await ctx.scan('small', {
      onDelivered: (scanId) => {
        watcher = watch(bs, agent.serverId, scanId, expected, performance.now());
        watcher.catch(() => undefined);
      },
    });
    if (!watcher || !run.scanId) throw new Error('the agent never reported its upload as delivered');
    const v = await watcher;
    const events = await eventsOfScan(bs, agent.serverId, run.scanId);
    const byType: Record<string, number> = {};
    for (const e of events) byType[e.changeType] = (byType[e.changeType] ?? 0) + 1;
    const cost = ctx.cost(`rescan with 1,000 changes, ${what}`, run, '800 modified, 100 added, 100 removed');
    const ingest = run.ddb['worker:scan-ingest'];
    const api = run.ddb.api;
    const visibleS = (v.visibleAt - v.deliveredAt) / 1000;
    const rows: Row[] = [
      {
        id: 'ingest.1000.ddb-requests',
        label: 'DynamoDB requests, ingest of a 1,000-change scan (worker)',
        value: ingest?.requests ?? 0,
        unit: 'count',
        notes: `${fmtCommands(ingest)}; the upload itself (API): ${api?.requests ?? 0} requests: ${fmtCommands(api)}`,
        data: { ingest, api },
      },
      {
        id: 'ingest.1000.wcu',
        label: 'DynamoDB write capacity, ingest of a 1,000-change scan (worker, table + GSI)',
        value: (ingest?.wcu ?? 0) + (ingest?.gsiWcuEstimate ?? 0),
        unit: 'WCU',
        notes:
          `table ${ingest?.wcu ?? 0} WCU as dynalite reports ConsumedCapacity (TOTAL) + ${ingest?.gsiWcuEstimate ?? 0} WCU estimated for the indexes the items are in (dynalite leaves index writes out); ` +
          `${ingest?.rcu ?? 0} RCU read; the upload (API): ${api?.wcu ?? 0}+${api?.gsiWcuEstimate ?? 0} WCU, ${api?.rcu ?? 0} RCU` +
          ((ingest?.noCapacity ?? 0) + (api?.noCapacity ?? 0) > 0 ? `; ${(ingest?.noCapacity ?? 0) + (api?.noCapacity ?? 0)} answers carried no capacity` : ''),
      },
      {
        id: 'ingest.1000.events',
        label: 'events listed for the 1,000-change scan',
        value: events.length,
        unit: 'count',
        target: { text: 'exactly 1,000 events (800 modified, 100 added, 100 removed)', met: events.length === expected && byType.modified === m.modified.length && byType.added === m.added.length && byType.removed === m.removed.length },
        notes: Object.entries(byType).map(([t, n]) => `${t} ${n}`).join(', '),
      },
      {
        id: 'ingest.1000.visible',
        label: 'upload accepted (API 200 to complete) -> all 1,000 events listed by the API',
        value: visibleS,
        unit: 's',
        target: { text: 'events visible via the API within 2 s locally (DESIGN.md)', met: visibleS <= 2 },
        notes:
          `ingest worker ran ${run.ingest ? `${run.ingest.durationS.toFixed(2)} s` : '?'} (done ${((v.ingestEndAt - v.deliveredAt) / 1000).toFixed(2)} s after the upload was accepted); ` +
          `listing 1,000 events took ${v.polls} poll(s) of GET /v1/events (500 a page)`,
      },
      {
        id: 'ingest.1000.upload',
        label: `upload of a rescan with 1,000 changes, ${what}`,
        value: cost.bytesUploaded,
        unit: 'B',
        proc: run.proc,
        notes: `${cost.requests} requests; until delivered ${run.deliveredS?.toFixed(3)} s, end to end ${run.proc.wallS.toFixed(3)} s`,
      },
    ];
    return rows;
  },
};
