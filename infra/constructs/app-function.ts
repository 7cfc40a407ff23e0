import { Duration, Stack } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * esbuild's ESM output has no `require`, but some bundled CommonJS dependencies still call it for Node
 * built-ins. The alias keeps the banner's import from clashing with a `createRequire` in the bundle.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __driftwatchCreateRequire } from 'node:module'; const require = __driftwatchCreateRequire(import.meta.url);";

/**
 * The esbuild options that the bundling of appFunction() below amounts to, for the test and the bench that
 * build a function the way CDK does.
 */
export const LAMBDA_ESBUILD = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  banner: { js: ESM_REQUIRE_BANNER },
} as const satisfies BuildOptions;

/** Powertools reads this; the logger in functions/shared/logger.ts uses the same name. */
export const SERVICE_NAME = 'driftwatch';

export interface AppFunctionProps {
  /** Repo root: the entry, the lockfile and esbuild's working directory are resolved from it. */
  root: string;
  /** Entry file relative to `root`; it must export `handler`. */
  entry: string;
  description: string;
  timeout: Duration;
  /** MB. Lambda gives CPU in proportion to memory, so this also buys cold-start speed. */
  memorySize?: number;
  /** Application environment (table, queue URLs, secrets, mail); the runtime defaults are added here. */
  environment: Record<string, string>;
  /** Shell commands run after bundling (`inputDir` is the repo root, `outputDir` what is zipped): files shipped beside the bundle. */
  afterBundling?: (inputDir: string, outputDir: string) => string[];
}

/**
 * Every Driftwatch Lambda: Node 22 on arm64 (cheaper per GB-second than x86), one minified ESM bundle
 * with the AWS SDK inside (its cold import is faster than the runtime's copy, see TOOLCHAIN.md), source
 * maps on, and its own log group with a one-month retention (explicit log groups avoid the custom
 * resource Lambda that `logRetention` deploys).
 */
export function appFunction(scope: Construct, id: string, props: AppFunctionProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
  return new NodejsFunction(scope, id, {
    entry: join(props.root, props.entry),
    handler: 'handler',
    projectRoot: props.root,
    depsLockFilePath: join(props.root, 'package-lock.json'),
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout,
    description: props.description,
    logGroup,
    environment: {
      ...props.environment,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    },
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      // Prefer packages' ESM builds so tree shaking works; workers must not carry hono/zod they don't use.
      mainFields: ['module', 'main'],
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      // Bundle the SDK (the default for Node 18+ leaves @aws-sdk/* external).
      externalModules: [],
      banner: ESM_REQUIRE_BANNER,
      ...(props.afterBundling
        ? { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: props.afterBundling } }
        : {}),
    },
  });
}

/**
 * Allows SES (v2) SendEmail from `mailFrom` only: the address identity and its domain identity are the
 * two ARNs SES checks for the sender, so no `identity/*` wildcard is needed.
 */
export function grantSendMail(grantee: IGrantable & Construct, mailFrom: string): void {
  const stack = Stack.of(grantee);
  const domain = mailFrom.slice(mailFrom.lastIndexOf('@') + 1);
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [mailFrom, domain].map((identity) =>
        stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
      ),
    }),
  );
}
