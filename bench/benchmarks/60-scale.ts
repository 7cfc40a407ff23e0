import type { BenchContext, TreeName } from '../lib/context.ts';
import { aideCheckOnce, aideInitOnce } from '../lib/measures.ts';
import { ratioText, versus } from '../lib/report.ts';
import type { ScanRun } from '../lib/stack.ts';
import type { Benchmark, Figure, Proc, Row } from '../lib/types.ts';

/**
 * The agent at scale (issue 11, DESIGN.md): a 200,000-file tree of small files (and a 1,000,000-file one
 * with --million), agent vs AIDE on the same tree in the same run, wall, CPU and peak RSS side by side.
 * Baseline: `aide --init` against the agent's first scan in a tenant of its own (a real first upload,
 * through the local API); unchanged rescan: `aide --check` against the agent's next scan. One round each
 * (these trees are slow to scan; `--repeats` does not apply): the figures carry the load of the moment.
 * Goals: baseline until delivered below aide --init, peak RSS <= 150 MiB; unchanged rescan <= 0.1x
 * aide --check, peak RSS <= 120 MiB.
 */

const RSS_BASELINE_MIB = 150;
const RSS_RESCAN_MIB = 120;

const procFigure = (label: string, proc: Proc | undefined): Figure | undefined => (proc ? { label, value: proc.wallS, unit: 's', proc } : undefined);

/** The CPU and peak RSS rows of an agent process beside its AIDE anchor. */
function sideBySide(id: string, what: string, agent: Proc, aide: Proc | undefined, aideLabel: string, rssGoal: number): Row[] {
  const rows: Row[] = [];
  if (agent.cpuS !== null) {
    rows.push(
      versus(`${id}.cpu`, { label: `agent ${what} CPU (user+sys)`, value: agent.cpuS, unit: 's' }, aide?.cpuS != null ? { label: `${aideLabel} CPU`, value: aide.cpuS, unit: 's' } : undefined),
    );
  }
  if (agent.maxRssMiB !== null) {
    const row = versus(
      `${id}.rss`,
      { label: `agent ${what} peak RSS`, value: agent.maxRssMiB, unit: 'MiB' },
      aide?.maxRssMiB != null ? { label: `${aideLabel} peak RSS`, value: aide.maxRssMiB, unit: 'MiB' } : undefined,
      { target: { text: `peak RSS <= ${rssGoal} MiB (DESIGN.md)`, met: agent.maxRssMiB <= rssGoal } },
    );
    if (row.ratio) row.ratio = ratioText(agent.maxRssMiB, aide!.maxRssMiB!).replace('faster', 'less memory').replace('slower', 'more memory');
    rows.push(row);
  }
  return rows;
}

async function scale(ctx: BenchContext, name: TreeName): Promise<Row[]> {
  const tree = ctx.tree(name);
  const what = `${Math.round(tree.files.length / 1000)}k-file tree`;
  await ctx.warm(name);
  const aideTool = await ctx.aide();
  const rows: Row[] = [];

  ctx.log(`aide --init, then the agent's baseline (a tenant of its own) on the ${what}`);
  const aideInit = aideTool.available ? await aideInitOnce(ctx, name) : undefined;
  const agent = await ctx.freshAgent(name, `${name}-scale`, { newTenant: true });
  const baseline: ScanRun = await ctx.scanWith(agent);
  const baselineCost = ctx.cost(`baseline, ${what}`, baseline);
  const initFigure = procFigure(`aide --init, ${what}`, aideInit?.proc);
  const delivered = baseline.deliveredS ?? baseline.proc.wallS;
  if (!aideTool.available) rows.push({ id: `scale.${name}.aide-missing`, label: `aide anchors, ${what}`, value: 0, unit: 'count', notes: `SKIPPED: aide ${aideTool.reason}` });
  rows.push(
    versus(`scale.${name}.baseline`, { label: `agent baseline until delivered, ${what}`, value: delivered, unit: 's', proc: baseline.proc }, initFigure, {
      notes:
        `${baselineCost.filesScanned.toLocaleString('en-US')} entries, upload ${(baselineCost.bytesUploaded / 1e6).toFixed(1)} MB in ${baselineCost.requests} requests; ` +
        `${(baseline.apiUntilDeliveredS ?? 0).toFixed(1)} s of it in the local API's handlers (storing the nodes in dynalite); end to end ${baseline.proc.wallS.toFixed(1)} s`,
      ...(initFigure ? { target: { text: 'baseline below aide --init (DESIGN.md)', met: delivered < initFigure.value } } : {}),
    }),
  );
  if (baseline.apiUntilDeliveredS !== null && initFigure) {
    rows.push(
      versus(`scale.${name}.baseline-agent-side`, { label: `agent baseline until delivered minus API handler time, ${what}`, value: delivered - baseline.apiUntilDeliveredS, unit: 's', proc: baseline.proc }, initFigure),
    );
  }
  rows.push(...sideBySide(`scale.${name}.baseline`, `baseline, ${what},`, baseline.proc, aideInit?.proc, 'aide --init', RSS_BASELINE_MIB));

  ctx.log(`aide --check, then the agent's unchanged rescan on the ${what}`);
  const aideCheck = aideTool.available ? await aideCheckOnce(ctx, name) : undefined;
  const rescan = await ctx.scanWith(agent);
  const rescanCost = ctx.cost(`unchanged rescan, ${what}`, rescan);
  const checkFigure = procFigure(`aide --check, ${what}`, aideCheck?.proc);
  const rescanS = rescan.deliveredS ?? rescan.proc.wallS;
  rows.push(
    versus(`scale.${name}.rescan`, { label: `agent unchanged rescan until delivered, ${what}`, value: rescanS, unit: 's', proc: rescan.proc }, checkFigure, {
      notes: `upload ${rescanCost.bytesUploaded} B in ${rescanCost.requests} requests; end to end ${rescan.proc.wallS.toFixed(1)} s`,
      ...(checkFigure ? { target: { text: 'unchanged rescan <= 0.1x aide --check (DESIGN.md)', met: rescanS * 10 <= checkFigure.value } } : {}),
    }),
  );
  rows.push(...sideBySide(`scale.${name}.rescan`, `unchanged rescan, ${what},`, rescan.proc, aideCheck?.proc, 'aide --check', RSS_RESCAN_MIB));
  return rows;
}

export const benchmark: Benchmark = {
  name: 'scale',
  description: 'agent vs aide at 200,000 files (and 1,000,000 with --million): baseline and unchanged rescan, wall, CPU and peak RSS',
  async run(ctx) {
    const rows: Row[] = [];
    if (ctx.opts.largeFiles > 0) rows.push(...(await scale(ctx, 'large')));
    if (ctx.opts.million) rows.push(...(await scale(ctx, 'huge')));
    return rows;
  },
};
