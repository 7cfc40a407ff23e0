import { gzipSync } from 'node:zlib';
import { buildTree, type PathEntry, type TreeNode } from '../../functions/contract/tree.ts';
import { packNodes } from '../../agent/sync.ts';
import { newTenant, type BenchStack } from '../lib/stack.ts';
import { SYNTHETIC_ROOT as ROOT, syntheticEntries } from '../lib/synthetic-tree.ts';
import type { Benchmark, Row } from '../lib/types.ts';

/**
 * The server's side of a baseline: what the API spends verifying and storing every node of a fresh
 * tree (one tenant per run, so every node is new), for a 20,000- and a 200,000-file tree. The entries
 * are synthetic (etc-like paths, a sha256 each) and built in this process, so the figure is the API's
 * alone: no walk, no hashing of files, no agent process. The nodes go as the agent sends them
 * (sync.ts packNodes: bottom-up, ~1 MiB of JSON per request, gzip level 6, one request at a time).
 * Sizes: BENCH_STORE_FILES (comma-separated, default "20000,200000").
 */

const SIZES = (process.env.BENCH_STORE_FILES ?? '20000,200000').split(',').map(Number).filter((n) => n > 0);
async function enroll(bs: BenchStack, files: number) {
  const tenant = await newTenant(bs, `store-${files}-${Date.now()}`);
  const policy = await bs.api('POST', '/v1/policies', { name: 'store', platform: 'linux', targets: [{ path: ROOT }] }, tenant.adminKey);
  await bs.api('POST', '/v1/server-groups', { name: 'store', tag: 'store', policyIds: [policy.json.id] }, tenant.adminKey);
  const res = await fetch(`${bs.stack.apiUrl}/v1/agent/enroll`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tenant.enrollmentKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ hostname: `store-${files}`, platform: 'linux', agentVersion: 'bench', tag: 'store' }),
  });
  const { credential } = (await res.json()) as { credential: string };
  return { credential, policyId: policy.json.id as string };
}

async function post(bs: BenchStack, credential: string, path: string, body: string | Buffer, gzip: boolean) {
  const res = await fetch(`${bs.stack.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    body,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** Uploads every node of a fresh tree of `files` files; answers the seconds the API handlers spent. */
async function storeOnce(bs: BenchStack, files: number, entries: PathEntry[]) {
  const { credential, policyId } = await enroll(bs, files);
  const tree = buildTree(entries);
  const nodes: TreeNode[] = [...tree.nodes.values()].sort((a, b) => a.level - b.level);
  const bodies = packNodes(policyId, nodes).map((json) => gzipSync(json, { level: 6 }));
  const scan = await post(bs, credential, '/v1/agent/scans', JSON.stringify({ kind: 'on-demand' }), false);
  const before = bs.meter.snapshot();
  const clock0 = bs.agentApiClock.ms;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const body of bodies) await post(bs, credential, `/v1/agent/scans/${scan.id}/nodes`, body, true);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const apiS = (bs.agentApiClock.ms - clock0) / 1000;
  const ddb = bs.meter.since(before).api;
  await post(bs, credential, `/v1/agent/scans/${scan.id}/complete`, JSON.stringify({ results: [{ policyId, root: tree.root, filesScanned: entries.length }] }), false);
  return { wallS, apiS, cpuS, nodes: nodes.length, requests: bodies.length, ddb };
}

export const benchmark: Benchmark = {
  name: 'baseline-store',
  description: "the API's side of a baseline: verifying and storing every node of a fresh 20,000- and 200,000-file tree (synthetic entries)",
  async run(ctx) {
    const bs = await ctx.stack();
    const rows: Row[] = [];
    for (const files of SIZES) {
      const entries = syntheticEntries(files);
      const runs = [];
      for (let i = 0; i < ctx.opts.repeats; i++) {
        ctx.log(`baseline store, ${files.toLocaleString('en-US')} files: round ${i + 1} of ${ctx.opts.repeats}`);
        runs.push(await storeOnce(bs, files, entries));
      }
      runs.sort((a, b) => a.apiS - b.apiS);
      const m = runs[Math.floor(runs.length / 2)]!;
      const k = `${Math.round(files / 1000)}k`;
      rows.push({
        id: `baseline-store.${k}.api`,
        label: `server storing a ${k}-file baseline (API handler time, ${m.nodes.toLocaleString('en-US')} nodes in ${m.requests} requests)`,
        value: m.apiS,
        unit: 's',
        notes:
          `wall ${m.wallS.toFixed(2)} s, CPU of this process (API, dynalite and the sending client) ${m.cpuS.toFixed(2)} s; rounds ${runs.map((r) => r.apiS.toFixed(2)).join(', ')} s; DynamoDB: ${m.ddb?.requests ?? 0} requests ` +
          `(${Object.entries(m.ddb?.byCommand ?? {}).map(([c, n]) => `${c.replace(/Command$/, '')} ${n}`).join(', ')}), ${m.ddb?.wcu ?? 0} WCU`,
        data: { runs },
      });
    }
    return rows;
  },
};
