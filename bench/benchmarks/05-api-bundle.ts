import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { REPO } from '../lib/context.ts';
import { bundleLambda } from '../../infra/bundling.ts';
import { medianOf, run } from '../lib/proc.ts';
import { findNode22 } from '../lib/node22.ts';
import type { Benchmark, Row } from '../lib/types.ts';

/**
 * Runs first, before the local stack exists: a Lambda cold start has its vCPU to itself, and the stack's
 * pollers and dynalite compaction would otherwise skew fresh-process timings.
 * Lambda bundles as the CDK app builds them (infra/bundling.ts: minified ESM, node22,
 * module-first main fields, AWS SDK bundled, the createRequire banner): size, gzip size, what is inside,
 * and the cold import time of each bundle in a fresh Node process (median). Workers must carry no
 * hono / @hono/zod-openapi (DESIGN.md).
 */

function entries(): Record<string, string> {
  const out: Record<string, string> = { api: 'functions/api/lambda.ts', schedule: 'functions/schedule/schedule.handler.ts' };
  for (const f of readdirSync(join(REPO, 'functions/workers')).filter((f) => f.endsWith('.worker.ts')).sort()) {
    out[`worker ${f.replace(/\.worker\.ts$/, '')}`] = `functions/workers/${f}`;
  }
  return out;
}

function packagesOf(meta: Metafile, output: string): Array<[string, number]> {
  const inputs = meta.outputs[output]!.inputs;
  const bytes = new Map<string, number>();
  for (const [path, info] of Object.entries(inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    const key = m ? m[1]! : '(driftwatch)';
    bytes.set(key, (bytes.get(key) ?? 0) + info.bytesInOutput);
  }
  return [...bytes.entries()].sort((a, b) => b[1] - a[1]);
}

/** Env the functions read; config() is read lazily (not at import), so this only guards later reads. */
const FUNCTION_ENV = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'driftwatch',
  DRIFTWATCH_MASTER_SECRET: 'x'.repeat(48),
  OPERATOR_KEY_HASH: '0'.repeat(64),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};

async function coldImport(node: string, file: string, runs: number): Promise<number[]> {
  const code = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await run(node, ['--input-type=module', '-e', code], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...FUNCTION_ENV } });
    times.push(Number(r.stdout.trim().split('\n').pop()));
  }
  return times;
}

export const benchmark: Benchmark = {
  name: 'api-bundle',
  description: 'Lambda bundle sizes (minified ESM, node22, SDK bundled) and cold import time of each',
  async run(ctx) {
    const node = ctx.opts.node22 ?? findNode22() ?? process.execPath;
    const nodeVersion = (await run(node, ['--version'])).stdout.trim();
    // Fresh-process import times on a shared 2-core VM spread 110-200 ms: 15 runs make the median stable.
    const runs = Math.max(15, ctx.opts.repeats);
    const outdir = join(ctx.workDir, 'lambda');
    const rows: Row[] = [];
    for (const [name, entry] of Object.entries(entries())) {
      // Built as deployed (infra/bundling.ts, with the files shipped beside it); the size without the separate source map.
      const built = await bundleLambda(REPO, entry, join(outdir, name.replace(/\W+/g, '-')), { sourcemap: false, legalComments: 'none', metafile: true, logLevel: 'error' });
      const outfile = built.bundle;
      const result = built.result as { metafile: Metafile };
      const bytes = statSync(outfile).size;
      const gz = gzipSync(readFileSync(outfile)).length;
      const pkgs = packagesOf(result.metafile, relative(process.cwd(), outfile));
      const times = await coldImport(node, outfile, runs);
      const cold = medianOf(times);
      const heavy = pkgs.filter(([p]) => p === 'hono' || p === '@hono/zod-openapi' || p === 'zod').map(([p]) => p);
      const top = pkgs
        .slice(0, 5)
        .map(([p, b]) => `${p} ${(b / 1024).toFixed(0)} KiB`)
        .join(', ');
      rows.push({
        id: `bundle.${name.replace(/\W+/g, '-')}.size`,
        label: `${name} bundle size (min ESM, SDK bundled)`,
        value: bytes / 1024,
        unit: 'KiB',
        notes: `${(gz / 1024).toFixed(0)} KiB gzip; ${top}`,
        ...(name.startsWith('worker') || name === 'schedule'
          ? { target: { text: 'carries no hono / @hono/zod-openapi (DESIGN.md)', met: !heavy.includes('hono') && !heavy.includes('@hono/zod-openapi') } }
          : {}),
        data: { bytes, gzipBytes: gz, packages: Object.fromEntries(pkgs), entry },
      });
      rows.push({
        id: `bundle.${name.replace(/\W+/g, '-')}.cold-import`,
        label: `${name} bundle cold import (${nodeVersion})`,
        value: cold,
        unit: 'ms',
        ...(name === 'api'
          ? {
              target: { text: `cold import <= 150 ms on Node 22 (DESIGN.md)${nodeVersion.startsWith('v22') ? '' : `; measured on ${nodeVersion}: no Node 22 here`}`, met: cold <= 150 },
            }
          : {}),
        notes: `median of ${runs} fresh processes, sorted: ${[...times].sort((a, b) => a - b).map((t) => t.toFixed(0)).join(', ')} ms`,
        data: { times, node: nodeVersion },
      });
    }
    return rows;
  },
};
