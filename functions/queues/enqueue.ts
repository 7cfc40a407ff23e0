import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { getSqs } from '../shared/clients.ts';
import { visibilityTimeoutSeconds, queueUrlEnv, queueVisibilityEnv, type MessageOf, type QueueDeclaration } from './define-queue.ts';

/**
 * Sending to a declared queue. The message is checked against the queue's schema before it leaves, so
 * a malformed message is a bug at the sender, not a poison message at the worker. Consumers must be
 * idempotent: SQS delivers at least once. The queue is a wake-up; the table holds the truth (a message
 * lost between a write and its send is found again by the schedule's sweeps).
 */
function queueUrl(queue: QueueDeclaration): string {
  const url = process.env[queueUrlEnv(queue.name)];
  if (!url) throw new Error(`${queueUrlEnv(queue.name)} is not set: this function is not a declared sender of queue ${queue.name}`);
  return url;
}

function body<Q extends QueueDeclaration>(queue: Q, message: MessageOf<Q>): string {
  const checked = queue.message.safeParse(message);
  if (!checked.success) throw new Error(`message for ${queue.name} does not match its schema: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return JSON.stringify(checked.data);
}

/** Sends one message. */
export async function enqueue<Q extends QueueDeclaration>(queue: Q, message: MessageOf<Q>): Promise<void> {
  await getSqs().send(new SendMessageCommand({ QueueUrl: queueUrl(queue), MessageBody: body(queue, message) }));
}

/** Sends many messages with SendMessageBatch (10 per request, failed entries retried); returns the request count. */
export async function enqueueMany<Q extends QueueDeclaration>(queue: Q, messages: readonly MessageOf<Q>[]): Promise<number> {
  const url = queueUrl(queue);
  const bodies = messages.map((m) => body(queue, m));
  let requests = 0;
  for (let i = 0; i < bodies.length; i += 10) {
    let entries = bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody }));
    for (let attempt = 0; entries.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      requests++;
      const out = await getSqs().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      entries = entries.filter((e) => failed.has(e.Id));
      if (entries.length > 0 && attempt >= 5) throw new Error(`could not send ${entries.length} messages to ${queue.name}`);
    }
  }
  return requests;
}

/**
 * How long a received message of `queue` stays invisible before it is delivered again: what the deployment
 * set (infra and the local stack tell each sender), else the declared value. A sweep that finds work not
 * done after this long knows its message is lost, not merely in flight.
 */
export function deployedVisibilityTimeoutSeconds(queue: QueueDeclaration): number {
  const raw = process.env[queueVisibilityEnv(queue.name)];
  if (raw === undefined || raw === '') return visibilityTimeoutSeconds(queue);
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`${queueVisibilityEnv(queue.name)} must be a number of seconds, not "${raw}"`);
  return seconds;
}
