import { CfnOutput, Duration } from 'aws-cdk-lib';
import { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { appFunction } from './app-function.ts';

/** Stage-wide throttling: a ceiling for a runaway agent fleet, far above normal traffic. */
export const API_THROTTLE = { rateLimit: 200, burstLimit: 400 } as const;

export interface ApiProps {
  root: string;
  entry: string;
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
    });

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
