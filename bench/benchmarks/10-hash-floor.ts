import type { BenchContext, TreeName } from '../lib/context.ts';
import { median, round, runShell, sq } from '../lib/proc.ts';
import type { Benchmark, Figure, Row } from '../lib/types.ts';

/**
 * The hashing floor over every file of each tree, from the command line: `sha256sum` (coreutils; on
 * Debian its SHA-256 is portable C, no SHA-NI) and `openssl dgst -sha256` (OpenSSL's SHA-NI/AVX2 code,
 * the same the agent's Node uses). For the binary tree also two processes side by side: the 2-core limit.
 * Later benchmarks compare against these (ctx.shared "floor:<tool>:<processes>:<tree>").
 */

export type FloorTool = 'sha256sum' | 'openssl';

const commandOf = (tool: FloorTool) => (tool === 'sha256sum' ? 'sha256sum' : 'openssl dgst -sha256');

/** One run of `tool` over every file of the tree, in `processes` processes. */
export function hashFloorOnce(ctx: BenchContext, name: TreeName, tool: FloorTool, processes: number) {
  const tree = ctx.tree(name);
  const cmd = commandOf(tool);
  // -n 16 hands out small batches, so -P 2 keeps both processes busy to the end.
  const line =
    processes === 1
      ? `find ${sq(tree.dir)} -type f -print0 | xargs -0 ${cmd} > /dev/null`
      : `find ${sq(tree.dir)} -type f -print0 | xargs -0 -n 16 -P ${processes} ${cmd} > /dev/null`;
  return runShell(line);
}

export async function hashFloor(ctx: BenchContext, name: TreeName, tool: FloorTool = 'sha256sum', processes = 1): Promise<Figure> {
  const key = `floor:${tool}:${processes}:${name}`;
  const known = ctx.shared.get(key) as Figure | undefined;
  if (known) return known;
  await ctx.warm(name);
  const cmd = commandOf(tool);
  ctx.log(`${cmd}${processes > 1 ? ` x${processes} processes` : ''} over the ${name} tree x${ctx.opts.repeats}`);
  const m = await median(ctx.opts.repeats, () => hashFloorOnce(ctx, name, tool, processes));
  const figure: Figure = {
    label: `${cmd}${processes > 1 ? ` x${processes} processes` : ''}, ${name} tree`,
    value: m.proc.wallS,
    unit: 's',
    proc: m.proc,
  };
  ctx.shared.set(key, figure);
  ctx.shared.set(`${key}:walls`, m.walls);
  return figure;
}

export const benchmark: Benchmark = {
  name: 'hash-floor',
  description: 'sha256sum and openssl dgst -sha256 over each tree (1 process; 2 for the binary tree): the hashing floor',
  async run(ctx) {
    const rows: Row[] = [];
    for (const name of ['small', 'bin'] as const) {
      const tree = ctx.tree(name);
      for (const tool of ['sha256sum', 'openssl'] as const) {
        for (const processes of name === 'bin' ? [1, 2] : [1]) {
          const f = await hashFloor(ctx, name, tool, processes);
          const key = `floor:${tool}:${processes}:${name}`;
          rows.push({
            id: `floor.${name}.${tool}${processes > 1 ? `-${processes}p` : ''}`,
            ...f,
            notes:
              `${tree.files.length} files, ${(tree.bytes / 1e6).toFixed(0)} MB: ${(tree.bytes / 1e6 / f.value).toFixed(0)} MB/s` +
              (tool === 'sha256sum' && processes === 1 && name === 'small' ? " (Debian's coreutils sha256sum: portable C SHA-256, no SHA-NI)" : '') +
              (processes > 1 ? '; candidate for the 2-core SHA-256 limit' : ''),
            data: { walls: ctx.shared.get(`${key}:walls`), mbPerS: round(tree.bytes / 1e6 / f.value, 1) },
          });
        }
      }
    }
    return rows;
  },
};
