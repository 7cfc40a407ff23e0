import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
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
