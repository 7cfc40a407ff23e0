import { CfnOutput, Duration } from 'aws-cdk-lib';
import { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { appFunction } from './app-function.ts';
import { SWAGGER_UI_PACKAGE, SWAGGER_UI_SHIPPED } from '../../functions/api/docs-assets.ts';

/**
 * Commands that copy the Swagger UI files /docs serves into the API function's zip, at the place where the
 * bundle resolves them (node_modules/swagger-ui-dist beside index.mjs): about 1.9 MB on disk that no cold
 * start reads, instead of 1.9 MB of JavaScript in a bundle that every cold start parses.
 */
export function shipSwaggerUi(inputDir: string, outputDir: string): string[] {
  const from = join(inputDir, 'node_modules', SWAGGER_UI_PACKAGE);
  const to = join(outputDir, 'node_modules', SWAGGER_UI_PACKAGE);
  return [`mkdir -p "${to}"`, ...SWAGGER_UI_SHIPPED.map((file) => `cp "${join(from, file)}" "${join(to, file)}"`)];
}

/** Stage-wide throttling: a ceiling for a runaway agent fleet, far above normal traffic. */
export const API_THROTTLE = { rateLimit: 200, burstLimit: 400 } as const;

export interface ApiProps {
  root: string;
  entry: string;
  table: ITable;
  environment: Record<string, string>;
}

/**
 * The HTTP API (API Gateway v2, payload format 2.0) with one `$default` route: routing is hono's job,
 * so API Gateway proxies every method and path to the one function.
 */
export class Api extends Construct {
  readonly fn: NodejsFunction;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.fn = appFunction(this, 'Function', {
      root: props.root,
      entry: props.entry,
      description: 'Driftwatch HTTP API',
      // API Gateway gives up after 30 s; fail earlier with a log line of our own.
      timeout: Duration.seconds(25),
      // Latency-facing: more memory means more CPU for the cold import of hono + zod.
      memorySize: 1024,
      environment: props.environment,
      // /docs reads Swagger UI's files from disk when asked (functions/api/docs-assets.ts): shipped, not bundled.
      afterBundling: shipSwaggerUi,
    });
    props.table.grantReadWriteData(this.fn);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Driftwatch API',
      defaultIntegration: new HttpLambdaIntegration('Lambda', this.fn),
      // The default stage is declared below: HttpApi's own cannot carry throttling.
      createDefaultStage: false,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
    });

    new CfnOutput(this, 'Url', { key: 'ApiUrl', value: this.stage.url, description: 'Driftwatch API base URL' });
  }
}
