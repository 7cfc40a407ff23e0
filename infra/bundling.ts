import type { BuildOptions } from 'esbuild';

/**
 * esbuild's ESM output has no `require`, but some bundled CommonJS dependencies still call it for Node
 * built-ins. The alias keeps the banner's import from clashing with a `createRequire` in the bundle.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __driftwatchCreateRequire } from 'node:module'; const require = __driftwatchCreateRequire(import.meta.url);";

/**
 * How every Lambda is bundled, in one place: the stack hands these to NodejsFunction (app-function.ts), and
 * the bundle tests (test/infra/lambda-bundles.test.ts) and the benchmark build with the same through
 * `esbuildOptions`. Plain data, so that importing it loads neither CDK nor esbuild.
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
