import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions, BuildResult } from 'esbuild';
import { apiFunction } from '../functions/api/api.function.ts';
import { SWAGGER_UI_PACKAGE, SWAGGER_UI_SHIPPED } from '../functions/api/docs-assets.ts';

/**
 * esbuild's ESM output has no `require`, but some bundled CommonJS dependencies still call it for Node
 * built-ins. The alias keeps the banner's import from clashing with a `createRequire` in the bundle.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __driftwatchCreateRequire } from 'node:module'; const require = __driftwatchCreateRequire(import.meta.url);";

/**
 * How every Lambda is bundled, in one place: the stack hands these to NodejsFunction (app-function.ts), and
 * the bundle tests (test/infra/lambda-bundles.test.ts, api-docs-bundle.test.ts) and the benchmark build with
 * the same through `esbuildOptions` and `bundleLambda`. Importing this file loads neither CDK nor esbuild.
 */
export const LAMBDA_BUNDLE = {
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Prefer packages' ESM builds so tree shaking works; workers must not carry hono/zod they don't use.
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  // Bundle the SDK (NodejsFunction's default for Node 18+ leaves @aws-sdk/* external).
  external: [] as string[],
  banner: ESM_REQUIRE_BANNER,
} as const;

/** Shell commands run after bundling: `inputDir` is the repository root, `outputDir` what is zipped. */
export type AfterBundling = (inputDir: string, outputDir: string) => string[];

/**
 * Commands that copy the Swagger UI files /docs serves into the API function's zip, at the place where the
 * bundle resolves them (node_modules/swagger-ui-dist beside index.mjs, functions/api/docs-assets.ts): about
 * 1.9 MB on disk that no cold start reads, instead of 1.9 MB of JavaScript in a bundle that every cold start parses.
 */
export function shipSwaggerUi(inputDir: string, outputDir: string): string[] {
  const from = join(inputDir, 'node_modules', SWAGGER_UI_PACKAGE);
  const to = join(outputDir, 'node_modules', SWAGGER_UI_PACKAGE);
  return [`mkdir -p "${to}"`, ...SWAGGER_UI_SHIPPED.map((file) => `cp "${join(from, file)}" "${join(to, file)}"`)];
}

/** Files shipped beside a bundle, by entry (relative to the repository root); most functions ship none. */
export const AFTER_BUNDLING: Readonly<Partial<Record<string, AfterBundling>>> = {
  [apiFunction.entry]: shipSwaggerUi,
};

/** esbuild options that build `entry` into `outfile` exactly as NodejsFunction builds it for the stack. */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: LAMBDA_BUNDLE.platform,
    format: LAMBDA_BUNDLE.format,
    target: LAMBDA_BUNDLE.target,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    minify: LAMBDA_BUNDLE.minify,
    sourcemap: LAMBDA_BUNDLE.sourcemap,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    external: [...LAMBDA_BUNDLE.external],
    banner: { js: LAMBDA_BUNDLE.banner },
    logLevel: 'warning',
  };
}

/**
 * Builds one function's deployment directory as the stack does: `outdir/index.mjs` (and its source map) by
 * the stack's esbuild options, then the entry's after-bundling commands (`overrides` for a measurement only,
 * e.g. without the source map). Answers esbuild's result and the bundle's path.
 */
export async function bundleLambda(root: string, entry: string, outdir: string, overrides: BuildOptions = {}): Promise<{ bundle: string; result: BuildResult }> {
  const { build } = await import('esbuild');
  mkdirSync(outdir, { recursive: true });
  const bundle = join(outdir, 'index.mjs');
  const result = await build({ ...esbuildOptions(join(root, entry), bundle), ...overrides });
  for (const command of AFTER_BUNDLING[entry]?.(root, outdir) ?? []) execFileSync('sh', ['-c', command]);
  return { bundle, result };
}
