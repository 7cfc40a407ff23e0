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

/**
 * The event API Gateway (HTTP API, payload format 2.0) hands the API function for one request: lowercase
 * headers, the raw query string, a text body as is and a binary one (bytes) base64-encoded, from `sourceIp`
 * (default 127.0.0.1) as API Gateway saw it.
 */
export function httpApiEvent(
  method: string,
  pathAndQuery: string,
  opts: { sourceIp?: string; headers?: Record<string, string>; body?: string | Uint8Array; routeKey?: string } = {},
): APIGatewayProxyEventV2 {
  const url = new URL(pathAndQuery, 'https://api.example.com');
  const headers: Record<string, string> = { host: url.host, 'user-agent': 'driftwatch-test', 'x-forwarded-proto': 'https' };
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  const query = Object.fromEntries(url.searchParams);
  const now = new Date();
  const binary = opts.body instanceof Uint8Array;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: opts.routeKey ?? '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'api',
      http: { method: method.toUpperCase(), path: url.pathname, protocol: 'HTTP/1.1', sourceIp: opts.sourceIp ?? '127.0.0.1', userAgent: headers['user-agent']! },
      requestId: randomUUID(),
      routeKey: opts.routeKey ?? '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: binary,
  };
  if (Object.keys(query).length) event.queryStringParameters = query;
  if (opts.body !== undefined) event.body = binary ? Buffer.from(opts.body as Uint8Array).toString('base64') : (opts.body as string);
  return event;
}
