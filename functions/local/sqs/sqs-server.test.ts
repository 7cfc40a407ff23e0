import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { LocalSqs } from './sqs-service.ts';
import { startSqsServer, type SqsServer } from './sqs-server.ts';

/**
 * The local queue server through the real AWS SDK client: the SQS behaviour the pollers and workers
 * rely on (visibility, receive counts, redrive to the DLQ, batch results, errors the SDK recognises),
 * and that everything it acknowledged is still there after it is closed and opened again on the same
 * directory.
 */
const IDENTITY = { region: 'us-east-1', accountId: '000000000000' };

let dir: string;
let sqs: LocalSqs;
let server: SqsServer;
let client: SQSClient;

async function open(): Promise<void> {
  sqs = await LocalSqs.open(dir, IDENTITY);
  server = await startSqsServer(sqs);
  client = new SQSClient({ region: IDENTITY.region, endpoint: server.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

async function close(): Promise<void> {
  client.destroy();
  await server.close();
  await sqs.close();
}

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  return (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
}

async function receive(url: string, max = 10, wait = 0): Promise<Message[]> {
  return (await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: max, WaitTimeSeconds: wait, AttributeNames: ['All'], MessageAttributeNames: ['All'] }))).Messages ?? [];
}

async function counts(url: string): Promise<Record<string, string>> {
  return (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-sqs-'));
  await open();
});

afterAll(async () => {
  await close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('local queue server', () => {
  it('sends, receives with attributes and deletes', async () => {
    const url = await createQueue('basic', { VisibilityTimeout: '30' });
    expect(url).toBe(`${server.endpoint}/000000000000/basic`);
    expect((await client.send(new GetQueueUrlCommand({ QueueName: 'basic' }))).QueueUrl).toBe(url);

    const sent = await client.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'héllo', MessageAttributes: { kind: { DataType: 'String', StringValue: 'tést' } } }),
    );
    expect(sent.MessageId).toEqual(expect.any(String));

    const [message] = await receive(url);
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: 'héllo', MessageAttributes: { kind: { DataType: 'String', StringValue: 'tést' } } });
    expect(message!.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message!.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: '000000000000' });
    expect(await counts(url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });

    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message!.ReceiptHandle }));
    expect(await counts(url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('redelivers after the visibility timeout with a higher receive count, then moves the message to the DLQ', async () => {
    const dlq = await createQueue('work-dlq');
    const dlqArn = (await counts(dlq)).QueueArn;
    const url = await createQueue('work', { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) });
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));

    const first = await receive(url);
    expect(first.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['1']);
    // A long poll returns as soon as the message is visible again, well before its 5 s wait.
    const second = await receive(url, 10, 5);
    expect(second.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2']);
    expect(await receive(url, 10, 2)).toEqual([]);

    const dead = await receive(dlq);
    expect(dead.map((m) => [m.Body, m.MessageId, m.Attributes?.DeadLetterQueueSourceArn])).toEqual([['poison', first[0]!.MessageId, (await counts(url)).QueueArn]]);
  });

  it('does not count a visibility change as a receive, and a stale receipt deletes nothing', async () => {
    const url = await createQueue('visibility', { VisibilityTimeout: '30' });
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm' }));
    const [first] = await receive(url);
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle, VisibilityTimeout: 0 }));
    const [second] = await receive(url);
    expect(second!.Attributes?.ApproximateReceiveCount).toBe('2');

    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle }));
    expect((await counts(url)).ApproximateNumberOfMessagesNotVisible).toBe('1');
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle }));
    expect((await counts(url)).ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('answers batches entry by entry and rejects what SQS rejects with its own exceptions', async () => {
    const url = await createQueue('batch');
    const out = await client.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'ok', MessageBody: 'fine' }, { Id: 'bad', MessageBody: 'nul \u0000 byte' }] }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['ok']);
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'InvalidMessageContents', SenderFault: true })]);

    await expect(client.send(new SendMessageCommand({ QueueUrl: `${server.endpoint}/000000000000/nope`, MessageBody: 'x' }))).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(client.send(new CreateQueueCommand({ QueueName: 'batch', Attributes: { VisibilityTimeout: '5' } }))).rejects.toBeInstanceOf(QueueNameExists);
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: '1' }, { Id: 'a', MessageBody: '2' }] }))).rejects.toMatchObject({
      name: 'BatchEntryIdsNotDistinct',
    });
  });

  it('keeps queues, pending and delayed messages across a restart, and not the deleted ones', async () => {
    const url = await createQueue('durable', { VisibilityTimeout: '30' });
    const sent = await client.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c', 'd'].map((body) => ({ Id: body, MessageBody: body, DelaySeconds: body === 'd' ? 1 : 0 })) }),
    );
    expect(sent.Successful).toHaveLength(4);
    const received = await receive(url, 2);
    expect(received.map((m) => m.Body)).toEqual(['a', 'b']);
    // 'a' is done; 'b' stays in flight across the restart; 'c' was never received; 'd' is still delayed.
    await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '0', ReceiptHandle: received[0]!.ReceiptHandle }] }));

    await close();
    await open();

    expect(await counts(url)).toMatchObject({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '1', VisibilityTimeout: '30' });
    const afterRestart = await receive(url, 10, 3);
    const bodies = afterRestart.map((m) => m.Body);
    expect(bodies).toContain('c');
    const rest = bodies.includes('d') ? [] : await receive(url, 10, 3);
    expect([...bodies, ...rest.map((m) => m.Body)].sort()).toEqual(['c', 'd']);
    // 'b' comes back with its receive count once its visibility timeout is over: nothing of it is lost.
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: received[1]!.ReceiptHandle, VisibilityTimeout: 0 }));
    const [b] = await receive(url);
    expect([b?.Body, b?.MessageId, b?.Attributes?.ApproximateReceiveCount]).toEqual(['b', received[1]!.MessageId, '2']);
  });
});
