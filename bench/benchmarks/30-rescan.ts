import type { BenchContext, TreeName } from '../lib/context.ts';
import { aideCheckOnce, interleave, walkHashOnce } from '../lib/measures.ts';
import type { ScanRun } from '../lib/stack.ts';
import { ratioText, versus } from '../lib/report.ts';
import type { Benchmark, Figure, Row } from '../lib/types.ts';

/**
 * Rescans of an unchanged tree, agent vs `aide --check` (which re-reads and re-hashes everything): the
 * agent's fast path (size/mtime/ctime/inode unchanged: no read) end to end and walk-only, its upload
 * (DESIGN.md: <= 2 KB), and `scan --full`, which re-hashes every file like aide does.
 */

async function rescan(ctx: BenchContext, name: TreeName): Promise<Row[]> {
  const rows: Row[] = [];
  const tree = ctx.tree(name);
  await ctx.warm(name);
  const what = `${name === 'small' ? `${Math.round(tree.files.length / 1000)}k small` : `${tree.files.length} bin`} tree`;
  const aideTool = await ctx.aide();
  await ctx.baselined(name);

  ctx.log(`${ctx.opts.repeats} rounds of: aide --check, walk+hash unchanged rescan, agent unchanged rescan on the ${name} tree`);
  const mm = await interleave(ctx.opts.repeats, {
    ...(aideTool.available ? { aide: { once: () => aideCheckOnce(ctx, name), figure: (r: { proc: { wallS: number } }) => r.proc.wallS } } : {}),
    walk: { once: () => walkHashOnce(ctx, name, 'rescan'), figure: (r) => r.scanS },
    agent: { once: (): Promise<ScanRun> => ctx.scan(name), figure: (r: ScanRun) => r.deliveredS ?? r.proc.wallS },
  });
  const aideRun = (mm as { aide?: { median: { proc: Figure['proc'] }; values: number[] } }).aide;
  const aide: Figure | undefined = aideRun ? { label: `aide --check, ${name} tree`, value: aideRun.median.proc!.wallS, unit: 's', proc: aideRun.median.proc } : undefined;
  if (aide) ctx.shared.set(`aide-check:${name}`, aide);

  const wh = mm.walk.median;
  if (!aideTool.available) {
    rows.push({ id: `rescan.${name}.aide-missing`, label: `aide --check anchor, ${name} tree`, value: 0, unit: 'count', notes: `SKIPPED: aide ${aideTool.reason}; the aide targets were not evaluated` });
  }
  rows.push(
    versus(`rescan.${name}.walk-hash`, { label: `agent walk+hash unchanged rescan, ${what}`, value: wh.scanS, unit: 's', proc: wh.proc }, aide, {
      notes: `scanPolicy on its own clock (process incl. Node start: ${wh.proc.wallS.toFixed(3)} s); ${wh.filesHashed} of ${wh.filesScanned} entries re-hashed`,
      ...(aide ? { target: { text: 'walk+hash >= 10x faster than aide --check', met: wh.scanS * 10 <= aide.value } } : {}),
      data: { values: mm.walk.values, cpuS: wh.cpuS, aideValues: aideRun?.values },
    }),
  );

  const m = mm.agent.median;
  const cost = ctx.cost(`unchanged rescan, ${what}`, m);
  const delivered = mm.agent.value;
  rows.push(
    versus(`rescan.${name}.delivered`, { label: `agent unchanged rescan until delivered, ${what}`, value: delivered, unit: 's', proc: m.proc }, aide, {
      notes:
        `process start -> check-in, walk (fast path), Merkle tree, complete; cpu/RSS are the whole process; ` +
        `${(m.apiUntilDeliveredS ?? 0).toFixed(3)} s of it in API handlers; rounds: ${mm.agent.values.join(', ')} s`,
      ...(aide ? { target: { text: 'unchanged rescan >= 10x faster than aide --check (DESIGN.md)', met: delivered * 10 <= aide.value } } : {}),
      data: { values: mm.agent.values },
    }),
  );
  rows.push(
    versus(`rescan.${name}.e2e`, { label: `agent \`scan\` unchanged rescan end to end, ${what}`, value: m.proc.wallS, unit: 's', proc: m.proc }, aide, {
      notes: 'includes the CLI polling the server for the scan counts (150 ms, then 300 ms ... back-off)',
    }),
  );
  const upload = versus(`rescan.${name}.upload`, { label: `unchanged rescan upload, ${what}`, value: cost.bytesUploaded, unit: 'B' }, undefined, {
    notes:
      `${cost.requests} requests, ${cost.requestBodyBytes} B of request bodies in all (check-in included; HTTP headers not counted); ` +
      `DynamoDB: API ${cost.ddbApi.requests} requests (${cost.ddbApi.wcu}+${cost.ddbApi.gsiWcu} WCU, ${cost.ddbApi.rcu} RCU), ingest ${cost.ddbIngest.requests} (${cost.ddbIngest.wcu}+${cost.ddbIngest.gsiWcu} WCU, ${cost.ddbIngest.rcu} RCU)`,
    data: { ...cost },
  });
  if (name === 'small') upload.target = { text: 'unchanged rescan upload <= 2 KB (DESIGN.md)', met: cost.bytesUploaded <= 2048 };
  rows.push(upload);

  ctx.log(`agent scan --full (re-hash everything) on the ${name} tree`);
  const full = await ctx.scan(name, { full: true });
  ctx.cost(`scan --full, ${what}`, full);
  rows.push(
    versus(`rescan.${name}.full`, { label: `agent \`scan --full\` until delivered, ${what}`, value: full.deliveredS ?? full.proc.wallS, unit: 's', proc: full.proc }, aide, {
      notes: `re-reads and re-hashes every file, as aide --check does; end to end ${full.proc.wallS.toFixed(3)} s${aide ? ` (${ratioText(full.proc.wallS, aide.value)})` : ''}`,
    }),
  );
  if (m.proc.cpuS !== null) {
    rows.push(
      versus(
        `rescan.${name}.cpu`,
        { label: `agent unchanged rescan CPU (user+sys), ${what}`, value: m.proc.cpuS, unit: 's' },
        aide?.proc?.cpuS != null ? { label: 'aide --check CPU', value: aide.proc.cpuS, unit: 's' } : undefined,
        { notes: `peak RSS ${m.proc.maxRssMiB} MiB (aide --check ${aide?.proc?.maxRssMiB ?? '?'} MiB); scan --full: ${full.proc.cpuS} s CPU, ${full.proc.maxRssMiB} MiB` },
      ),
    );
  }
  return rows;
}

export const benchmark: Benchmark = {
  name: 'rescan',
  description: 'unchanged rescan (fast path) vs aide --check, its upload, and scan --full, on both trees',
  async run(ctx) {
    return [...(await rescan(ctx, 'small')), ...(await rescan(ctx, 'bin'))];
  },
};
