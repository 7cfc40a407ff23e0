import type { BenchContext } from '../lib/context.ts';
import { eventsOfScan } from '../lib/stack.ts';
import type { Benchmark, Row } from '../lib/types.ts';

/**
 * Rescans after a few changes to the small tree: 10 modified files (DESIGN.md's "10 changed files"), then
 * 10 modified + 5 added + 5 removed (the issue's scenario; adding and removing also rewrites the parent
 * directories' entries). The events the API lists for each scan must be exactly those changes, and the
 * upload must stay <= 20 KB.
 */

async function scenario(ctx: BenchContext, id: string, counts: { modify: number; add: number; remove: number }, seed: number): Promise<Row[]> {
  const bs = await ctx.stack();
  const agent = await ctx.baselined('small');
  const tree = ctx.tree('small');
  const what = `${Math.round(tree.files.length / 1000)}k small tree`;
  const m = ctx.mutate('small', counts, seed);
  const desc = [counts.modify && `${counts.modify} modified`, counts.add && `${counts.add} added`, counts.remove && `${counts.remove} removed`].filter(Boolean).join(' / ');
  const total = counts.modify + counts.add + counts.remove;
  ctx.log(`agent rescan after ${desc}`);
  const run = await ctx.scan('small');
  const cost = ctx.cost(`rescan with ${desc}, ${what}`, run, desc);
  if (!run.scanId) throw new Error('the agent reported no scan id');
  const events = await eventsOfScan(bs, agent.serverId, run.scanId);

  const expected = new Map<string, string>([
    ...m.modified.map((p) => [p, 'modified'] as const),
    ...m.added.map((p) => [p, 'added'] as const),
    ...m.removed.map((p) => [p, 'removed'] as const),
  ]);
  const got = new Map<string, string>(events.map((e) => [e.path, e.changeType]));
  const missing = [...expected].filter(([p, t]) => got.get(p) !== t).map(([p, t]) => `${t} ${p}`);
  const extra = events.filter((e) => expected.get(e.path) !== e.changeType).map((e) => `${e.changeType} ${e.path} [${e.changedAttributes.join(',')}]`);
  const correct = missing.length === 0 && extra.length === 0 && events.length === expected.size;
  const nodes = cost.byRoute['POST /v1/agent/scans/{id}/nodes'];
  return [
    {
      id: `changes.${id}.events`,
      label: `events via the API after ${desc}, ${what}`,
      value: events.length,
      unit: 'count',
      target: { text: `exactly the ${total} changes (path and type)`, met: correct },
      notes: correct
        ? `all ${total} match; agent counts: ${run.json.added} added, ${run.json.modified} modified, ${run.json.removed} removed, ${run.json.renamed} renamed`
        : `missing: ${missing.slice(0, 5).join('; ') || 'none'}; unexpected: ${extra.slice(0, 5).join('; ') || 'none'}`,
      data: { missing, extra, agentCounts: { added: run.json.added, modified: run.json.modified, removed: run.json.removed, renamed: run.json.renamed } },
    },
    {
      id: `changes.${id}.upload`,
      label: `upload of a rescan with ${desc}, ${what}`,
      value: cost.bytesUploaded,
      unit: 'B',
      target: { text: `upload <= 20 KB (DESIGN.md: "for 10 changed files")`, met: cost.bytesUploaded <= 20 * 1024 },
      notes:
        `tree nodes ${nodes ? `${nodes.bytes.toLocaleString('en-US')} B gzip in ${nodes.count} request(s)` : 'none'}; ${cost.requests} requests (${Object.entries(cost.byRoute)
          .map(([r, v]) => `${r} x${v.count}`)
          .join(', ')}); ` +
        `DynamoDB: API ${cost.ddbApi.requests} requests (${cost.ddbApi.wcu}+${cost.ddbApi.gsiWcu} WCU, ${cost.ddbApi.rcu} RCU), ingest ${cost.ddbIngest.requests} (${cost.ddbIngest.wcu}+${cost.ddbIngest.gsiWcu} WCU, ${cost.ddbIngest.rcu} RCU)`,
      data: { ...cost },
    },
    {
      id: `changes.${id}.delivered`,
      label: `rescan with ${desc} until delivered, ${what}`,
      value: run.deliveredS ?? run.proc.wallS,
      unit: 's',
      proc: run.proc,
      notes: `end to end ${run.proc.wallS.toFixed(3)} s; ingest ${run.ingest ? `${(run.ingest.durationS * 1000).toFixed(0)} ms` : 'n/a'}`,
    },
  ];
}

export const benchmark: Benchmark = {
  name: 'changes',
  description: 'rescans after 10 modified, then 10 modified / 5 added / 5 removed files: exactly those events via the API, upload <= 20 KB',
  async run(ctx) {
    return [...(await scenario(ctx, 'modified-10', { modify: 10, add: 0, remove: 0 }, 40)), ...(await scenario(ctx, 'mixed-20', { modify: 10, add: 5, remove: 5 }, 41))];
  },
};
