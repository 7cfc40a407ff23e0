import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the agent into ONE self-contained file (dist/driftwatch-agent.mjs) that runs on a bare
 * Node >= 20 with no node_modules: copy it to a host and run it. Fails when a package other than
 * picomatch slips in (a runtime import of a zod schema would drag ~440 KiB of zod along).
 *
 * Usage: tsx scripts/build-agent.ts [--out FILE]
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUTFILE = resolve(repo, 'dist/driftwatch-agent.mjs');
/** The size the bundle should stay under. */
export const SIZE_GOAL = 300 * 1024;
/** The only npm packages the agent may bundle. */
const ALLOWED_PACKAGES = ['picomatch'];

export interface BuildResult {
  outfile: string;
  bytes: number;
}

/** Inputs under functions/ but outside functions/contract/: the agent shares the wire contract, nothing else. */
export function serverModulesIn(inputs: readonly string[]): string[] {
  return inputs.filter((input) => /(^|\/)functions\//.test(input) && !/(^|\/)functions\/contract\//.test(input));
}

/** Builds the bundle; answers where it is and how big. */
export async function buildAgent(outfile = DEFAULT_OUTFILE): Promise<BuildResult> {
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [resolve(repo, 'agent/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // picomatch is CommonJS and calls require() for node builtins: give the ESM bundle a require.
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire as __dwCreateRequire } from 'node:module';",
        'const require = __dwCreateRequire(import.meta.url);',
      ].join('\n'),
    },
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) packages.add(match[1]!);
  }
  const unexpected = [...packages].filter((p) => !ALLOWED_PACKAGES.includes(p));
  if (unexpected.length > 0) throw new Error(`the agent bundle must not contain ${unexpected.join(', ')} (use \`import type\` from schema files)`);
  const serverCode = serverModulesIn(Object.keys(result.metafile.inputs));
  if (serverCode.length > 0) throw new Error(`the agent bundle may take only functions/contract/ of the server code, not ${serverCode.join(', ')}`);
  chmodSync(outfile, 0o755);
  return { outfile, bytes: statSync(outfile).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const outfile = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]!) : DEFAULT_OUTFILE;
  const { bytes } = await buildAgent(outfile);
  const kib = (bytes / 1024).toFixed(1);
  console.log(`${relative(process.cwd(), outfile) || outfile}: ${kib} KiB (${bytes} bytes; goal <= ${SIZE_GOAL / 1024} KiB)`);
  if (bytes > SIZE_GOAL) console.warn(`warning: the agent bundle is over its ${SIZE_GOAL / 1024} KiB goal`);
}
