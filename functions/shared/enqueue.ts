import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { getSqs } from './clients.ts';
import { config } from './config.ts';
import { queueDefinition, type QueueName } from './queues.ts';

/** Sends one JSON message to a Driftwatch queue. Consumers must be idempotent: SQS delivers at least once. */
export async function enqueue(queue: QueueName, body: unknown): Promise<void> {
  const url = config()[queueDefinition(queue).urlEnv]!;
  await getSqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(body) }));
}

/** Sends many messages with SendMessageBatch (10 per request); returns the request count. */
export async function enqueueMany(queue: QueueName, bodies: readonly unknown[]): Promise<number> {
  const url = config()[queueDefinition(queue).urlEnv]!;
  let requests = 0;
  for (let i = 0; i < bodies.length; i += 10) {
    let entries = bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: JSON.stringify(body) }));
    for (let attempt = 0; entries.length > 0; attempt++) {
      requests++;
      const out = await getSqs().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      entries = entries.filter((e) => failed.has(e.Id));
      if (entries.length > 0) {
        if (attempt >= 5) throw new Error(`could not send ${entries.length} messages to ${queue}`);
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }
  return requests;
}
