import { join } from 'node:path';
import type { BenchContext, TreeName } from '../lib/context.ts';
import { aideInitOnce, interleave, walkHashOnce } from '../lib/measures.ts';
import { run } from '../lib/proc.ts';
import { ratioText, versus } from '../lib/report.ts';
import type { ScanRun } from '../lib/stack.ts';
import type { Benchmark, Figure, Row } from '../lib/types.ts';
import { hashFloor, hashFloorOnce } from './10-hash-floor.ts';

/**
 * Baseline scans, agent vs `aide --init` on the same tree, interleaved round by round: the agent process
 * end to end (through the local API: check-in, walk, hash, Merkle tree, upload, wait for the server's
 * counts; every round a fresh tenant, so every upload is a real first one), the same process until its
 * upload was accepted, and walk+hash alone in a fresh process (what aide does, minus the upload).
 */

/** How close to the measured 2-process hashing the binary-tree walk+hash must come to count as "near". */
export const NEAR_2CORE = 1.25;

function addProfile(ctx: BenchContext, segment: string, file: string): void {
  const list = (ctx.shared.get('agent-profiles') as Array<[string, string]> | undefined) ?? [];
  list.push([segment, file]);
  ctx.shared.set('agent-profiles', list);
}

/** Pure SHA-256 compute on `cores` cores (openssl speed, 1 MiB blocks, 1 s): bytes per second, no file reads at all. */
async function computeRate(cores: number): Promise<number> {
  try {
    const r = await run('openssl', ['speed', '-seconds', '1', '-bytes', '1048576', '-evp', 'sha256', ...(cores > 1 ? ['-multi', String(cores)] : [])], { check: true });
    // The last line: "sha256   <bytes/s in 1000s>k".
    const m = /([\d.]+)k\s*$/.exec(r.stdout.trim().split('\n').pop()!);
    return m ? Number(m[1]) * 1000 : 0;
  } catch {
    return 0;
  }
}

async function baseline(ctx: BenchContext, name: TreeName): Promise<Row[]> {
  const rows: Row[] = [];
  const tree = ctx.tree(name);
  await ctx.warm(name);
  const aideTool = await ctx.aide();
  const sha = await hashFloor(ctx, name, 'sha256sum');
  const ossl = await hashFloor(ctx, name, 'openssl');
  const what = `${name === 'small' ? `${Math.round(tree.files.length / 1000)}k small` : `${tree.files.length} bin`} tree`;
  const main = await ctx.agent(name);
  if (main.baseline) throw new Error(`the ${name} agent already scanned: the baseline must be its first scan`);

  ctx.log(`${ctx.opts.repeats} rounds of: aide --init, walk+hash baseline, agent baseline (fresh tenant) on the ${name} tree`);
  const m = await interleave(ctx.opts.repeats, {
    ...(aideTool.available ? { aide: { once: () => aideInitOnce(ctx, name), figure: (r: { proc: { wallS: number } }) => r.proc.wallS } } : {}),
    ...(name === 'bin'
      ? {
          // The 2-core limit, measured in the same rounds (load from elsewhere then hits both alike).
          floor2: { once: () => hashFloorOnce(ctx, name, 'openssl', 2), figure: (r: { proc: { wallS: number } }) => r.proc.wallS },
          compute: { once: async () => ({ rate: await computeRate(2) }), figure: (r: { rate: number }) => -r.rate },
        }
      : {}),
    walk: { once: () => walkHashOnce(ctx, name, 'baseline'), figure: (r) => r.scanS },
    agent: {
      once: async (i: number): Promise<ScanRun> => ctx.scanWith(i === 0 ? main : await ctx.freshAgent(name, `${name}-baseline-${i}`, { newTenant: true })),
      figure: (r: ScanRun) => r.deliveredS ?? r.proc.wallS,
    },
  });
  const aideRun = (m as { aide?: { median: { proc: Figure['proc'] }; values: number[] } }).aide;
  const aide: Figure | undefined = aideRun ? { label: `aide --init, ${name} tree`, value: aideRun.median.proc!.wallS, unit: 's', proc: aideRun.median.proc } : undefined;
  if (aide) ctx.shared.set(`aide-init:${name}`, aide);

  const wh = m.walk.median;
  if (!aideTool.available) {
    rows.push({ id: `baseline.${name}.aide-missing`, label: `aide --init anchor, ${name} tree`, value: 0, unit: 'count', notes: `SKIPPED: aide ${aideTool.reason}; the aide targets were not evaluated` });
  }
  rows.push(
    versus(`baseline.${name}.walk-hash`, { label: `agent walk+hash baseline, ${what}`, value: wh.scanS, unit: 's', proc: wh.proc }, aide, {
      notes:
        `scanPolicy on its own clock (process incl. Node start: ${wh.proc.wallS.toFixed(3)} s); ${wh.filesScanned} entries, ` +
        `${(wh.bytesHashed / 1e6).toFixed(0)} MB hashed at ${(wh.bytesHashed / 1e6 / wh.scanS).toFixed(0)} MB/s; buildTree +${(wh.treeMs ?? 0).toFixed(0)} ms` +
        `; vs sha256sum ${sha.value.toFixed(3)} s: ${ratioText(wh.scanS, sha.value)}; vs openssl dgst ${ossl.value.toFixed(3)} s: ${ratioText(wh.scanS, ossl.value)}`,
      ...(name === 'small' && aide ? { target: { text: 'walk+hash faster than aide --init', met: wh.scanS < aide.value } } : {}),
      data: { values: m.walk.values, cpuS: wh.cpuS, treeMs: wh.treeMs, aideValues: aideRun?.values },
    }),
  );
  let two: Figure | undefined;
  if (name === 'bin') {
    const mb = m as unknown as { floor2: { median: { proc: Figure['proc'] }; values: number[] }; compute: { median: { rate: number }; values: number[] } };
    two = { label: 'openssl dgst -sha256 x2 processes, same rounds', value: mb.floor2.median.proc!.wallS, unit: 's', proc: mb.floor2.median.proc };
    const whFigure: Figure = { label: `agent walk+hash baseline vs 2-process hashing, ${what}`, value: wh.scanS, unit: 's', proc: wh.proc };
    rows.push(
      versus('baseline.bin.walk-hash-vs-2core', whFigure, two, {
        target: { text: `bin-like baseline near the 2-core SHA-256 limit (<= ${NEAR_2CORE}x two openssl dgst processes in the same rounds)`, met: wh.scanS <= two.value * NEAR_2CORE },
        notes: `rounds: agent ${m.walk.values.join(', ')} s; openssl x2 ${mb.floor2.values.join(', ')} s (two sha256sum processes: ${(await hashFloor(ctx, 'bin', 'sha256sum', 2)).value.toFixed(2)} s, measured before)`,
      }),
    );
    const rate = mb.compute.median.rate;
    if (rate > 0) {
      rows.push(
        versus(
          'baseline.bin.walk-hash-vs-compute',
          { ...whFigure, label: `agent walk+hash baseline vs pure SHA-256 compute on 2 cores, ${what}` },
          { label: `SHA-256 compute limit, 2 cores (openssl speed -multi 2: ${(rate / 1e6).toFixed(0)} MB/s)`, value: tree.bytes / rate, unit: 's' },
          { notes: 'the compute bound reads no files: a floor no file hasher reaches' },
        ),
      );
    }
  }

  const r = m.agent.median;
  const cost = ctx.cost(`baseline, ${what}`, r);
  const delivered = m.agent.value;
  rows.push(
    versus(`baseline.${name}.delivered`, { label: `agent baseline until delivered, ${what}`, value: delivered, unit: 's', proc: r.proc }, aide, {
      notes:
        `process start -> check-in, walk, hash, Merkle tree, upload of ${cost.bytesUploaded.toLocaleString('en-US')} B in ${cost.requests} requests; cpu/RSS are the whole process; ` +
        `each round a fresh tenant (a real first upload); rounds: ${m.agent.values.join(', ')} s`,
      ...(name === 'small' && aide ? { target: { text: 'baseline faster than aide --init (DESIGN.md)', met: delivered < aide.value } } : {}),
      data: { values: m.agent.values },
    }),
  );
  if (r.apiUntilDeliveredS !== null) {
    rows.push(
      versus(`baseline.${name}.agent-side`, { label: `agent baseline until delivered minus API handler time, ${what}`, value: delivered - r.apiUntilDeliveredS, unit: 's', proc: r.proc }, aide, {
        notes: `${r.apiUntilDeliveredS.toFixed(2)} s of the ${delivered.toFixed(2)} s were the local API handling the agent's requests (verifying and storing the tree nodes in dynalite)`,
      }),
    );
  }
  rows.push(
    versus(`baseline.${name}.e2e`, { label: `agent \`scan\` baseline end to end, ${what}`, value: r.proc.wallS, unit: 's', proc: r.proc }, aide, {
      notes: `includes waiting for the server to ingest the scan and report counts (ingest ${r.ingest ? `${r.ingest.durationS.toFixed(2)} s` : 'n/a'})`,
    }),
  );
  if (name === 'bin') {
    rows.push(versus('baseline.bin.delivered-vs-2core', { label: `agent baseline until delivered vs 2-process hashing, ${what}`, value: delivered, unit: 's', proc: r.proc }, two));
  }
  if (r.proc.cpuS !== null) {
    rows.push(
      versus(`baseline.${name}.cpu`, { label: `agent baseline CPU (user+sys), ${what}`, value: r.proc.cpuS, unit: 's' }, aide?.proc?.cpuS != null ? { label: 'aide --init CPU', value: aide.proc.cpuS, unit: 's' } : undefined),
    );
  }
  if (r.proc.maxRssMiB !== null) {
    const row = versus(
      `baseline.${name}.rss`,
      { label: `agent baseline peak RSS, ${what}`, value: r.proc.maxRssMiB, unit: 'MiB' },
      aide?.proc?.maxRssMiB != null ? { label: 'aide --init peak RSS', value: aide.proc.maxRssMiB, unit: 'MiB' } : undefined,
    );
    if (row.ratio) row.ratio = ratioText(r.proc.maxRssMiB, aide!.proc!.maxRssMiB!).replace('faster', 'less memory').replace('slower', 'more memory');
    rows.push(row);
  }
  rows.push({ id: `baseline.${name}.upload`, label: `agent baseline upload, ${what}`, value: cost.bytesUploaded, unit: 'B', data: { ...cost } });

  if (ctx.opts.profile && name === 'small') {
    ctx.log('profiling: agent baseline + unchanged rescan of the small tree (fresh tenant, unminified bundle, --cpu-prof) and walk+hash');
    const fresh = await ctx.freshAgent(name, 'small-profile', { newTenant: true });
    await ctx.scanWith(fresh, { profile: 'agent-baseline-small' });
    addProfile(ctx, 'agent baseline scan, small tree (e2e process)', join(ctx.profileDir, 'agent-baseline-small.cpuprofile'));
    await ctx.scanWith(fresh, { profile: 'agent-rescan-small' });
    addProfile(ctx, 'agent unchanged rescan, small tree (e2e process)', join(ctx.profileDir, 'agent-rescan-small.cpuprofile'));
    await walkHashOnce(ctx, name, 'baseline', { profile: 'walk-hash-baseline-small' });
    addProfile(ctx, 'walk+hash baseline, small tree (scanPolicy only)', join(ctx.profileDir, 'walk-hash-baseline-small.cpuprofile'));
  }
  return rows;
}

export const benchmark: Benchmark = {
  name: 'baseline',
  description: 'agent baseline scan vs aide --init (and sha256sum) on both trees; CPU and peak RSS',
  async run(ctx) {
    return [...(await baseline(ctx, 'small')), ...(await baseline(ctx, 'bin'))];
  },
};
