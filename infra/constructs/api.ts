import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpRoute, HttpRouteKey, HttpStage, LogGroupLogDestination, type CfnStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { appFunction } from './app-function.ts';

/** Stage-wide throttling: a ceiling for a runaway agent fleet, far above normal traffic. */
export const API_THROTTLE = { rateLimit: 200, burstLimit: 400 } as const;

/**
 * The agent routes, each with its own throttle inside the stage's: an agent storm (a fleet restarting, a
 * loop in a broken agent) is refused with 429 at the gateway, before the API function or DynamoDB see it,
 * and leaves the rest of the stage's budget to people and scripts. Agents back off and retry on 429.
 * Check-ins: a fleet of 30,000 servers checking in every 5 minutes is 100 requests/s. Scans: each uploaded
 * scan is a few requests. Enrollment: rare, and each one hashes a credential.
 */
export const AGENT_ROUTES = [
  { method: HttpMethod.POST, path: '/v1/agent/check-in', throttle: { rateLimit: 100, burstLimit: 200 } },
  { method: HttpMethod.POST, path: '/v1/agent/scans', throttle: { rateLimit: 50, burstLimit: 100 } },
  { method: HttpMethod.ANY, path: '/v1/agent/scans/{proxy+}', throttle: { rateLimit: 50, burstLimit: 100 } },
  { method: HttpMethod.POST, path: '/v1/agent/enroll', throttle: { rateLimit: 10, burstLimit: 20 } },
] as const;

/**
 * The API function's reserved concurrency: a cap, so a flood of requests cannot take the account's
 * concurrency from the workers (scan-ingest has its own reservation). At the stage's 200 requests/s and
 * ~100 ms a request, about 20 run at once; 100 leaves room for slow requests and cold starts.
 */
export const API_RESERVED_CONCURRENCY = 100;

/**
 * One JSON line per request in the access log. API Gateway cannot know the tenant (the API function finds
 * it from the credential): the function's own `request` log line carries `tenantId` beside this same
 * `requestId` (as `apiRequestId`), so the two join in Logs Insights.
 */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  routeKey: '$context.routeKey',
  method: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  responseLength: '$context.responseLength',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  error: '$context.error.message',
  integrationError: '$context.integrationErrorMessage',
} as const;

export interface ApiProps {
  root: string;
  entry: string;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  encryptionKey?: IKey | undefined;
  /** Browser origins allowed by CORS; empty: no CORS configuration. */
  corsOrigins: readonly string[];
  reserveConcurrency: boolean;
}

/**
 * The HTTP API (API Gateway v2, payload format 2.0). Routing is hono's job: `$default` proxies every method
 * and path to the one function; the agent routes are declared too, only so that each gets its own throttle.
 */
export class Api extends Construct {
  readonly fn: NodejsFunction;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

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
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      reservedConcurrency: props.reserveConcurrency ? API_RESERVED_CONCURRENCY : undefined,
      // /docs reads Swagger UI's files from disk when asked: appFunction ships them beside the bundle
      // (infra/bundling.ts AFTER_BUNDLING), not inside it.
    });

    const integration = new HttpLambdaIntegration('Lambda', this.fn);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Driftwatch API',
      defaultIntegration: integration,
      // The default stage is declared below: HttpApi's own cannot carry throttling or access logs.
      createDefaultStage: false,
      corsPreflight: props.corsOrigins.length
        ? {
            allowOrigins: [...props.corsOrigins],
            allowMethods: [CorsHttpMethod.ANY],
            allowHeaders: ['authorization', 'content-type', 'content-encoding', 'x-request-id'],
            exposeHeaders: ['x-request-id', 'location', 'retry-after'],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });
    const agentRoutes = AGENT_ROUTES.map(
      (r) => new HttpRoute(this, `Route ${r.method} ${r.path}`, { httpApi: this.httpApi, routeKey: HttpRouteKey.with(r.path, r.method), integration }),
    );

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, encryptionKey: props.encryptionKey, removalPolicy: RemovalPolicy.RETAIN });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
    });
    // Per-route throttles are stage route settings keyed by route key: the routes must exist first. The
    // property is untyped JSON, passed to CloudFormation as is: its own (PascalCase) names.
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      AGENT_ROUTES.map((r) => [`${r.method} ${r.path}`, { ThrottlingRateLimit: r.throttle.rateLimit, ThrottlingBurstLimit: r.throttle.burstLimit }]),
    );
    for (const route of agentRoutes) this.stage.node.addDependency(route);

    new CfnOutput(this, 'Url', { key: 'ApiUrl', value: this.stage.url, description: 'Driftwatch API base URL' });
  }
}
