import { Duration, Stack } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AFTER_BUNDLING, LAMBDA_BUNDLE } from '../bundling.ts';
import { join } from 'node:path';

export { ESM_REQUIRE_BANNER } from '../bundling.ts';

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
  /** Retention of its log group (the `logRetentionDays` context). */
  logRetention: RetentionDays;
  /** The customer-managed key (`kms` context): its log group and its environment (which holds secrets) use it. */
  encryptionKey?: IKey | undefined;
  /** Lambda concurrency kept for this function alone, which is also its cap; none when absent. */
  reservedConcurrency?: number | undefined;
}

/**
 * Every Driftwatch Lambda: Node 22 on arm64 (cheaper per GB-second than x86), one minified ESM bundle
 * with the AWS SDK inside (its cold import is faster than the runtime's copy, see TOOLCHAIN.md), source
 * maps on, X-Ray active tracing, and its own log group with the configured retention (explicit log
 * groups avoid the custom resource Lambda that `logRetention` deploys).
 */
export function appFunction(scope: Construct, id: string, props: AppFunctionProps): NodejsFunction {
  const afterBundling = AFTER_BUNDLING[props.entry];
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, encryptionKey: props.encryptionKey });
  // Its own role: writing to its own log group only, instead of the AWSLambdaBasicExecutionRole managed
  // policy (logs:CreateLogGroup and writes to every log group); everything else is granted by declaration.
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: props.description });
  role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
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
    role,
    tracing: Tracing.ACTIVE,
    environmentEncryption: props.encryptionKey,
    reservedConcurrentExecutions: props.reservedConcurrency,
    environment: {
      ...props.environment,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    },
    // The one bundling setup (infra/bundling.ts), which the bundle tests build with too.
    bundling: {
      format: LAMBDA_BUNDLE.format as OutputFormat,
      target: LAMBDA_BUNDLE.target,
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      minify: LAMBDA_BUNDLE.minify,
      sourceMap: LAMBDA_BUNDLE.sourcemap,
      sourcesContent: LAMBDA_BUNDLE.sourcesContent,
      externalModules: [...LAMBDA_BUNDLE.external],
      banner: LAMBDA_BUNDLE.banner,
      // Files shipped beside the bundle (the API's Swagger UI), the same commands the bundle tests run.
      ...(afterBundling ? { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling } } : {}),
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
