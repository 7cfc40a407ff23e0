import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext, sqsRecord } from './lambda-events.ts';
import type { LocalLog } from './local-log.ts';

/** A queue handler as Lambda runs it: an SQS batch in, the ids of the records that failed out. */
export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface QueuePollerOptions {
  name: string;
  url: string;
  batchSize: number;
  /** The worker's Lambda timeout, for the context's remaining-time clock. */
  timeoutSeconds: number;
  sqs: SQSClient;
  load: () => Promise<SqsHandler>;
  log: LocalLog;
  /** Called whenever work starts or ends, so drain() can tell a quiet moment from a settled one. */
  onActivity: () => void;
  /** Called after each batch with what became of its records (npm start reports it). */
  onBatch?: (report: BatchReport) => void | Promise<void>;
  /**
   * Longest pause between two empty receives unless woken (a send wakes every poller at once); the
   * pause starts at a tenth of it after work and doubles while the queue stays empty. Default 500 ms.
   */
  maxIdleMs?: number;
}

/** One worker invocation and its outcome. */
export interface BatchReport {
  queue: string;
  records: SQSRecord[];
  /** Ids of the records that will be delivered again ('all' when the handler threw). */
  failed: Set<string> | 'all';
  ms: number;
}

/**
 * What the Lambda event source mapping does for one queue: receive a batch, invoke the handler with an
 * SQSEvent, delete the records it did not list in batchItemFailures, and leave the rest to come back after
 * the visibility timeout (and move to the DLQ after maxReceiveCount, which the queue itself does).
 * Batches run one after another: a batch is never redelivered while its handler still runs.
 * Short receives woken by every send (rather than long polls) so stop() never waits on a poll, and
 * never ChangeMessageVisibility (a slow batch is not redelivered: the next receive waits for it).
 */
export class QueuePoller {
  inFlight = 0;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private loop: Promise<void> | undefined;

  constructor(private readonly o: QueuePollerOptions) {}

  get name(): string {
    return this.o.name;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the polling after the batch in hand, if any, is finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  /** Polls again now instead of at the end of the idle pause. */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  private async run(): Promise<void> {
    const maxIdleMs = this.o.maxIdleMs ?? 500;
    let idleMs = maxIdleMs / 10;
    while (!this.stopped) {
      let messages: Message[];
      try {
        const out = await this.o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.o.url,
            MaxNumberOfMessages: this.o.batchSize,
            WaitTimeSeconds: 0,
            AttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (this.stopped) break;
        this.o.log('warn', 'receive failed', { queue: this.o.name, error });
        await this.pause(1000);
        continue;
      }
      if (messages.length === 0) {
        if (!this.stopped) await this.pause(idleMs);
        idleMs = Math.min(maxIdleMs, idleMs * 2);
        continue;
      }
      idleMs = maxIdleMs / 10;
      this.inFlight += messages.length;
      this.o.onActivity();
      try {
        await this.process(messages);
      } finally {
        this.inFlight -= messages.length;
        this.o.onActivity();
      }
    }
  }

  private async process(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => sqsRecord(m, this.o.name)) };
    const started = performance.now();
    let failed: Set<string> | 'all';
    try {
      const handler = (await this.o.load()) as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
      const result = await handler(event, lambdaContext(`driftwatch-${this.o.name}-worker`, this.o.timeoutSeconds));
      failed = failedMessageIds(result, event);
      if (failed === 'all') this.o.log('warn', `${this.o.name}: invalid batch response, the whole batch will be retried`, { result });
    } catch (error) {
      // A thrown handler fails the whole batch, as on Lambda: nothing is deleted.
      this.o.log('warn', `${this.o.name}: the worker threw, the whole batch will be retried`, { records: messages.length, error });
      failed = 'all';
    }
    if (failed !== 'all') {
      const done = messages.filter((m) => !(failed as Set<string>).has(m.MessageId ?? ''));
      if (done.length > 0) await this.delete(done);
    }
    try {
      await this.o.onBatch?.({ queue: this.o.name, records: event.Records, failed, ms: performance.now() - started });
    } catch (error) {
      this.o.log('debug', `${this.o.name}: reporting the batch failed`, { error });
    }
  }

  private async delete(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      try {
        const out = await this.o.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.o.url,
            Entries: chunk.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        if (out.Failed?.length) this.o.log('warn', 'delete failed for some messages', { queue: this.o.name, failed: out.Failed });
      } catch (error) {
        this.o.log('warn', 'delete failed', { queue: this.o.name, error });
      }
    }
  }
}

/**
 * Lambda's reading of a partial batch response: nothing or an empty list is full success; a malformed
 * response, or an itemIdentifier that is empty or not in the batch, fails the whole batch.
 */
export function failedMessageIds(result: unknown, event: SQSEvent): Set<string> | 'all' {
  if (result === undefined || result === null || result === '') return new Set();
  if (typeof result !== 'object') return 'all';
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const inBatch = new Set(event.Records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !inBatch.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}
