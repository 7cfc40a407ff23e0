import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { lambdaContext, scheduledEvent, sqsRecord } from '../../functions/local/lambda-events.ts';

/**
 * Lambda event factories for handler unit tests, built by the same code the local stack uses to invoke
 * the handlers, so a handler tested with these sees exactly what it sees under `npm start`.
 */
export { lambdaContext, scheduledEvent };

/** An SQSEvent with one record per body (objects are JSON-encoded), as the queue `queueName` delivers it. */
export function sqsEvent(queueName: string, bodies: Array<string | object>, opts: { receiveCount?: number } = {}): SQSEvent {
  const now = String(Date.now());
  return {
    Records: bodies.map((body) =>
      sqsRecord(
        {
          MessageId: randomUUID(),
          ReceiptHandle: randomUUID(),
          Body: typeof body === 'string' ? body : JSON.stringify(body),
          Attributes: {
            ApproximateReceiveCount: String(opts.receiveCount ?? 1),
            SentTimestamp: now,
            ApproximateFirstReceiveTimestamp: now,
          },
        },
        queueName,
      ),
    ),
  };
}

/** An API Gateway HTTP API (payload 2.0) event, as the API Lambda receives it, from `sourceIp`. */
export function httpApiEvent(method: string, path: string, opts: { sourceIp: string; headers?: Record<string, string>; body?: string }): APIGatewayProxyEventV2 {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'api.example.com', ...opts.headers },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: opts.sourceIp, userAgent: opts.headers?.['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: opts.body,
    isBase64Encoded: false,
  };
}
