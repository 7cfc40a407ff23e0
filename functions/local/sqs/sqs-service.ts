import { EventEmitter } from 'node:events';
import { MessageStore, type StoreOp } from './message-store.ts';
import {
  invalidAttributeName,
  invalidMessageContents,
  invalidParameter,
  queueDoesNotExist,
  queueNameExists,
  unsupportedOperation,
} from './sqs-errors.ts';
import { DEFAULT_ATTRIBUTES, SqsQueue, type Delivery, type MessageAttributeValue, type QueueAttributes, type QueueRecord, type StoredMessage } from './sqs-queue.ts';

export interface SqsIdentity {
  region: string;
  accountId: string;
}

/** Numeric queue attributes and their allowed ranges (SQS's own limits). */
const NUMERIC_ATTRIBUTES = {
  VisibilityTimeout: [0, 43_200],
  DelaySeconds: [0, 900],
  MessageRetentionPeriod: [60, 1_209_600],
  MaximumMessageSize: [1024, 1_048_576],
  ReceiveMessageWaitTimeSeconds: [0, 20],
} as const;
const PASSTHROUGH_ATTRIBUTES = new Set(['Policy', 'RedriveAllowPolicy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled']);
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
// The characters SQS accepts in a message body: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
const INVALID_BODY_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export interface SendInput {
  body: string;
  delaySeconds?: number;
  attributes?: Record<string, MessageAttributeValue>;
  traceHeader?: string;
}

/**
 * The queues of the local SQS stand-in: SQS's semantics for standard queues (see SqsQueue) with every
 * change persisted in a MessageStore before the caller answers, so a message acknowledged to its sender
 * survives a crash, and one deleted by its worker stays deleted. `sent` fires after every send.
 */
export class LocalSqs extends EventEmitter<{ sent: [queue: string] }> {
  private readonly queues = new Map<string, SqsQueue>();

  private constructor(
    private readonly store: MessageStore,
    readonly identity: SqsIdentity,
  ) {
    super();
    // Every long poll listens for sends while it waits.
    this.setMaxListeners(0);
  }

  /** Opens the persisted queues and their messages under `dir`. */
  static async open(dir: string, identity: SqsIdentity): Promise<LocalSqs> {
    const store = await MessageStore.open(dir);
    const sqs = new LocalSqs(store, identity);
    const { queues, messages } = await store.load();
    for (const record of queues) {
      const queue = new SqsQueue(record);
      queue.restore(messages.get(record.name) ?? []);
      sqs.queues.set(record.name, queue);
    }
    return sqs;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  arn(name: string): string {
    return `arn:aws:sqs:${this.identity.region}:${this.identity.accountId}:${name}`;
  }

  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** CreateQueue: idempotent with the same attributes, QueueNameExists with different ones. */
  async createQueue(name: string, raw: Record<string, string>, now: number): Promise<void> {
    if (!QUEUE_NAME.test(name)) {
      if (name.endsWith('.fifo')) throw unsupportedOperation('FIFO queues are not emulated by the local queue server.');
      throw invalidParameter('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const attributes = this.parseAttributes(raw, { ...DEFAULT_ATTRIBUTES, passthrough: {} });
    const existing = this.queues.get(name);
    if (existing) {
      const given = Object.keys(raw);
      const differs = given.some((key) => this.attributeValue(existing.record.attributes, key) !== this.attributeValue(attributes, key));
      if (differs) throw queueNameExists(name);
      return;
    }
    const record: QueueRecord = { name, attributes, createdAt: now, modifiedAt: now };
    this.queues.set(name, new SqsQueue(record));
    await this.store.write([{ type: 'put-queue', queue: record }]);
  }

  async setQueueAttributes(name: string, raw: Record<string, string>, now: number): Promise<void> {
    const queue = this.queue(name);
    queue.record = { ...queue.record, attributes: this.parseAttributes(raw, queue.record.attributes), modifiedAt: now };
    await this.store.write([{ type: 'put-queue', queue: queue.record }]);
  }

  async deleteQueue(name: string): Promise<void> {
    const queue = this.queue(name);
    const ops = [...queue.purge(), { type: 'del-queue' as const, name }];
    this.queues.delete(name);
    await this.store.write(ops);
  }

  async purgeQueue(name: string): Promise<void> {
    await this.store.write(this.queue(name).purge());
  }

  /** GetQueueAttributes: every attribute when `names` has `All`. */
  queueAttributes(name: string, names: string[], now: number): Record<string, string> {
    const queue = this.queue(name);
    const { visible, notVisible, delayed } = queue.counts(now);
    const a = queue.record.attributes;
    const all: Record<string, string | undefined> = {
      QueueArn: this.arn(name),
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(notVisible),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      CreatedTimestamp: String(Math.floor(queue.record.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.record.modifiedAt / 1000)),
      VisibilityTimeout: String(a.VisibilityTimeout),
      DelaySeconds: String(a.DelaySeconds),
      MessageRetentionPeriod: String(a.MessageRetentionPeriod),
      MaximumMessageSize: String(a.MaximumMessageSize),
      ReceiveMessageWaitTimeSeconds: String(a.ReceiveMessageWaitTimeSeconds),
      RedrivePolicy: a.RedrivePolicy ? JSON.stringify(a.RedrivePolicy) : undefined,
      ...a.passthrough,
    };
    const wanted = names.includes('All') ? Object.keys(all) : names;
    const out: Record<string, string> = {};
    for (const key of wanted) {
      if (!(key in all) && !PASSTHROUGH_ATTRIBUTES.has(key)) throw invalidAttributeName(key);
      if (all[key] !== undefined) out[key] = all[key];
    }
    return out;
  }

  /** Sends messages to one queue; each one is durable when this resolves. Invalid entries fail alone. */
  async send(name: string, inputs: SendInput[], now: number): Promise<Array<StoredMessage | Error>> {
    const queue = this.queue(name);
    const ops: StoreOp[] = [];
    const results = inputs.map((input) => {
      try {
        this.checkMessage(queue, input);
        const sent = queue.send(input, now);
        ops.push(...sent.ops);
        return sent.message;
      } catch (error) {
        return error as Error;
      }
    });
    await this.store.write(ops);
    if (ops.length > 0) this.emit('sent', name);
    return results;
  }

  /** Receives up to `max` messages; with `waitSeconds`, waits (long poll) until one is there or the time is up. */
  async receive(name: string, opts: { max: number; visibilitySeconds?: number; waitSeconds?: number; signal?: AbortSignal }): Promise<Delivery[]> {
    const queue = this.queue(name);
    const deadline = Date.now() + (opts.waitSeconds ?? queue.record.attributes.ReceiveMessageWaitTimeSeconds) * 1000;
    for (;;) {
      const now = Date.now();
      const { deliveries, ops } = queue.receive(opts.max, opts.visibilitySeconds, now, this.deadLetterFor(queue, now));
      await this.store.write(ops);
      if (deliveries.length > 0 || now >= deadline || opts.signal?.aborted) return deliveries;
      await this.nextChance(queue, deadline, opts.signal);
    }
  }

  async delete(name: string, handles: string[]): Promise<Array<true | Error>> {
    const queue = this.queue(name);
    const ops: StoreOp[] = [];
    const results = handles.map((handle): true | Error => {
      try {
        ops.push(...queue.delete(handle));
        return true;
      } catch (error) {
        return error as Error;
      }
    });
    await this.store.write(ops);
    return results;
  }

  async changeVisibility(name: string, changes: Array<{ handle: string; seconds: number }>, now: number): Promise<Array<true | Error>> {
    const queue = this.queue(name);
    const ops: StoreOp[] = [];
    const results = changes.map(({ handle, seconds }): true | Error => {
      try {
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) throw invalidParameter(`Value ${seconds} for parameter VisibilityTimeout is invalid.`);
        ops.push(...queue.changeVisibility(handle, seconds, now));
        return true;
      } catch (error) {
        return error as Error;
      }
    });
    await this.store.write(ops);
    return results;
  }

  /** Approximate counts of a queue (exact here), for drain(). */
  counts(name: string): { visible: number; notVisible: number; delayed: number } {
    return this.queue(name).counts(Date.now());
  }

  private queue(name: string): SqsQueue {
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  private deadLetterFor(queue: SqsQueue, now: number): ((message: StoredMessage) => StoreOp[]) | undefined {
    const policy = queue.record.attributes.RedrivePolicy;
    if (!policy) return undefined;
    const target = this.queues.get(policy.deadLetterTargetArn.split(':').pop() ?? '');
    // A dead-letter queue deleted after the fact: SQS keeps redelivering, and so does this.
    if (!target) return undefined;
    return (message) => target.adopt(message, this.arn(queue.name), now);
  }

  /** Resolves on the next send to `queue`, the next visibility expiry, the deadline or an abort, whichever is first. */
  private nextChance(queue: SqsQueue, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const now = Date.now();
      const wakeAt = Math.min(deadline, queue.nextVisibleAt(now) ?? deadline);
      const done = () => {
        clearTimeout(timer);
        this.off('sent', onSent);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const onSent = (name: string) => {
        if (name === queue.name) done();
      };
      const timer = setTimeout(done, Math.max(0, wakeAt - now));
      this.on('sent', onSent);
      signal?.addEventListener('abort', done);
    });
  }

  private checkMessage(queue: SqsQueue, input: SendInput): void {
    if (input.body.length === 0) throw invalidParameter('The request must contain the parameter MessageBody.');
    if (INVALID_BODY_CHARACTER.test(input.body)) throw invalidMessageContents('Invalid binary character in the message body: SQS accepts only #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.');
    let size = Buffer.byteLength(input.body);
    for (const [attrName, value] of Object.entries(input.attributes ?? {})) {
      if (!/^(String|Number|Binary)(\..+)?$/.test(value.DataType)) throw invalidParameter(`The type of message (user) attribute '${attrName}' is invalid.`);
      if (value.StringValue === undefined && value.BinaryValue === undefined) throw invalidParameter(`The message (user) attribute '${attrName}' must contain a non-empty value.`);
      size += Buffer.byteLength(attrName) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue ?? value.BinaryValue ?? '');
    }
    if (Object.keys(input.attributes ?? {}).length > 10) throw invalidParameter('Number of message attributes [more than 10] exceeds the allowed maximum [10].');
    const limit = queue.record.attributes.MaximumMessageSize;
    if (size > limit) throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
    if (input.delaySeconds !== undefined && (!Number.isInteger(input.delaySeconds) || input.delaySeconds < 0 || input.delaySeconds > 900)) {
      throw invalidParameter(`Value ${input.delaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`);
    }
  }

  private parseAttributes(raw: Record<string, string>, base: QueueAttributes): QueueAttributes {
    const out: QueueAttributes = { ...base, passthrough: { ...base.passthrough } };
    for (const [key, value] of Object.entries(raw)) {
      if (key in NUMERIC_ATTRIBUTES) {
        const [min, max] = NUMERIC_ATTRIBUTES[key as keyof typeof NUMERIC_ATTRIBUTES];
        const n = Number(value);
        if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw invalidParameter(`Invalid value for the parameter ${key}.`);
        out[key as keyof typeof NUMERIC_ATTRIBUTES] = n;
      } else if (key === 'RedrivePolicy') {
        out.RedrivePolicy = value === '' ? undefined : this.parseRedrivePolicy(value);
      } else if (key === 'FifoQueue' || key === 'ContentBasedDeduplication' || key === 'DeduplicationScope' || key === 'FifoThroughputLimit') {
        throw unsupportedOperation('FIFO queues are not emulated by the local queue server.');
      } else if (PASSTHROUGH_ATTRIBUTES.has(key)) {
        out.passthrough[key] = value;
      } else {
        throw invalidAttributeName(key);
      }
    }
    return out;
  }

  private parseRedrivePolicy(value: string): QueueAttributes['RedrivePolicy'] {
    let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    try {
      policy = JSON.parse(value) as typeof policy;
    } catch {
      throw invalidParameter('Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.');
    }
    const maxReceiveCount = Number(policy.maxReceiveCount);
    if (typeof policy.deadLetterTargetArn !== 'string' || !Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw invalidParameter('Invalid value for the parameter RedrivePolicy. Reason: it needs deadLetterTargetArn and a maxReceiveCount from 1 to 1000.');
    }
    const target = policy.deadLetterTargetArn.split(':').pop() ?? '';
    if (!this.queues.has(target)) throw invalidParameter(`Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`);
    return { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount };
  }

  private attributeValue(attributes: QueueAttributes, key: string): string | undefined {
    if (key === 'RedrivePolicy') return attributes.RedrivePolicy ? JSON.stringify(attributes.RedrivePolicy) : undefined;
    if (key in NUMERIC_ATTRIBUTES) return String(attributes[key as keyof typeof NUMERIC_ATTRIBUTES]);
    return attributes.passthrough[key];
  }
}

