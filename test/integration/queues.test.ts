import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { QUEUES } from '../../functions/queues/queues.ts';

/**
 * The local event source mapping behaves as Lambda's does: partial batch responses delete only the
 * records that succeeded, a failed record comes back after the visibility timeout with a higher
 * receive count, and after maxReceiveCount deliveries it is in the DLQ. Also: a thrown handler fails
 * the whole batch, and drain() waits for all of it.
 */
const QUEUE = 'local-test';
const THROWING_QUEUE = 'local-test-throws';
const POISON = 'message-3';

const deliveries = new Map<string, number>();
const receiveCounts = new Map<string, string[]>();
const events: SQSEvent[] = [];
let throwingCalls = 0;

async function partialHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  events.push(event);
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    deliveries.set(record.body, (deliveries.get(record.body) ?? 0) + 1);
    receiveCounts.set(record.body, [...(receiveCounts.get(record.body) ?? []), record.attributes.ApproximateReceiveCount]);
    if (record.body === POISON) batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}

async function throwingHandler(): Promise<SQSBatchResponse> {
  throwingCalls++;
  if (throwingCalls === 1) throw new Error('first invocation fails');
  return { batchItemFailures: [] };
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    extraQueues: [
      { name: QUEUE, handler: partialHandler, maxReceiveCount: 2, visibilityTimeoutSeconds: 1 },
      { name: THROWING_QUEUE, handler: throwingHandler, maxReceiveCount: 3, visibilityTimeoutSeconds: 1 },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('local queues', () => {
  it('creates every declared queue with its DLQ and exports their URLs', () => {
    expect(QUEUES.map((q) => q.name)).toEqual(expect.arrayContaining(['scan-dispatch', 'scan-ingest']));
    for (const name of [...QUEUES.map((q) => q.name), QUEUE]) {
      expect(stack.queueUrls[name]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      expect(stack.queueUrls[`${name}-dlq`]).toBeDefined();
    }
    expect(process.env.QUEUE_URL_SCAN_INGEST).toBe(stack.queueUrls['scan-ingest']);
  });

  it('redelivers only the failed record of a batch, then moves it to the DLQ after maxReceiveCount', async () => {
    const bodies = ['message-1', 'message-2', POISON, 'message-4', 'message-5'];
    await stack.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queueUrls[QUEUE],
        Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body, MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } } })),
      }),
    );

    await stack.drain();

    for (const body of bodies.filter((b) => b !== POISON)) expect(deliveries.get(body), body).toBe(1);
    expect(deliveries.get(POISON)).toBe(2);
    expect(receiveCounts.get(POISON)).toEqual(['1', '2']);

    const dlq = await stack.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrls[`${QUEUE}-dlq`], MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    expect((dlq.Messages ?? []).map((m) => m.Body)).toEqual([POISON]);
  });

  it('hands the handler a real SQSEvent', () => {
    const record = events[0].Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${QUEUE}`,
      awsRegion: 'us-east-1',
      messageAttributes: { kind: { dataType: 'String', stringValue: 'test' } },
    });
    expect(record.messageId).toEqual(expect.any(String));
    expect(record.receiptHandle).toEqual(expect.any(String));
    expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThan(0);
    expect(record.attributes.SenderId).toEqual(expect.any(String));
  });

  it('retries the whole batch when the handler throws', async () => {
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrls[THROWING_QUEUE], MessageBody: 'retry me' }));
    await stack.drain();
    expect(throwingCalls).toBe(2);
    const dlq = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queueUrls[`${THROWING_QUEUE}-dlq`], WaitTimeSeconds: 0 }));
    expect(dlq.Messages ?? []).toEqual([]);
  });

  it('drains at once when nothing is queued', async () => {
    const started = Date.now();
    await stack.drain();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
