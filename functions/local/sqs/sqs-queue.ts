import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { StoreOp } from './message-store.ts';
import { invalidParameter, receiptHandleInvalid } from './sqs-errors.ts';

/** A message attribute as the JSON protocol carries it (binary values base64). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}

/** A queue's settings, as stored. */
export interface QueueRecord {
  name: string;
  attributes: QueueAttributes;
  createdAt: number;
  modifiedAt: number;
}

export interface QueueAttributes {
  VisibilityTimeout: number;
  DelaySeconds: number;
  MessageRetentionPeriod: number;
  MaximumMessageSize: number;
  ReceiveMessageWaitTimeSeconds: number;
  RedrivePolicy?: { deadLetterTargetArn: string; maxReceiveCount: number };
  /** Accepted and returned, with no effect locally (Policy, RedriveAllowPolicy, KMS and SSE settings). */
  passthrough: Record<string, string>;
}

/** One message, as stored: everything needed to deliver it again after a restart. */
export interface StoredMessage {
  id: string;
  /** Send order within the queue (also the storage key). */
  seq: number;
  body: string;
  md5OfBody: string;
  attributes?: Record<string, MessageAttributeValue>;
  md5OfAttributes?: string;
  traceHeader?: string;
  sentAt: number;
  /** Epoch ms from which it can be received (send delay, then each visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The current receipt's nonce: only the latest receipt handle deletes the message. */
  receipt?: string;
  deadLetterSourceArn?: string;
}

export const DEFAULT_ATTRIBUTES: Omit<QueueAttributes, 'passthrough'> = {
  VisibilityTimeout: 30,
  DelaySeconds: 0,
  MessageRetentionPeriod: 345_600,
  MaximumMessageSize: 262_144,
  ReceiveMessageWaitTimeSeconds: 0,
};

export const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/**
 * SQS's MD5 of message attributes: for each attribute by name, the length-prefixed (4-byte big-endian)
 * UTF-8 name, data type, a transport byte (1 string/number, 2 binary) and the length-prefixed value.
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const prefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name]!;
    prefixed(Buffer.from(name, 'utf8'));
    prefixed(Buffer.from(value.DataType, 'utf8'));
    const binary = value.BinaryValue !== undefined;
    parts.push(Buffer.from([binary ? 2 : 1]));
    prefixed(binary ? Buffer.from(value.BinaryValue!, 'base64') : Buffer.from(value.StringValue ?? '', 'utf8'));
  }
  return md5(Buffer.concat(parts));
}

interface Receipt {
  queue: string;
  id: string;
  nonce: string;
}

export const encodeReceipt = (r: Receipt): string => Buffer.from(JSON.stringify([r.queue, r.id, r.nonce])).toString('base64url');

export function decodeReceipt(handle: string): Receipt {
  try {
    const [queue, id, nonce] = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8')) as unknown[];
    if (typeof queue === 'string' && typeof id === 'string' && typeof nonce === 'string') return { queue, id, nonce };
  } catch {
    // falls through to the SQS error
  }
  throw receiptHandleInvalid(handle);
}

/** What one received message carries back to the receiver. */
export interface Delivery {
  message: StoredMessage;
  receiptHandle: string;
}

/**
 * One standard SQS queue in memory, with the semantics the workers rely on: a received message is
 * invisible for the visibility timeout and then comes back with a higher receive count; with a redrive
 * policy, a message already received maxReceiveCount times moves to the dead-letter queue when it would
 * be received again (as SQS does); ChangeMessageVisibility does not count as a receive. Every method
 * returns the store operations that make its change durable; the caller persists them before answering.
 */
export class SqsQueue {
  private readonly messages = new Map<string, StoredMessage>();
  private nextSeq = 1;

  constructor(public record: QueueRecord) {}

  get name(): string {
    return this.record.name;
  }

  /** Puts back the messages of an earlier run (in send order). */
  restore(messages: StoredMessage[]): void {
    for (const message of messages) {
      this.messages.set(message.id, message);
      this.nextSeq = Math.max(this.nextSeq, message.seq + 1);
    }
  }

  send(
    input: { body: string; delaySeconds?: number; attributes?: Record<string, MessageAttributeValue>; traceHeader?: string },
    now: number,
  ): { message: StoredMessage; ops: StoreOp[] } {
    const attributes = input.attributes && Object.keys(input.attributes).length > 0 ? input.attributes : undefined;
    const message: StoredMessage = {
      id: randomUUID(),
      seq: this.nextSeq++,
      body: input.body,
      md5OfBody: md5(input.body),
      ...(attributes ? { attributes, md5OfAttributes: md5OfMessageAttributes(attributes) } : {}),
      ...(input.traceHeader ? { traceHeader: input.traceHeader } : {}),
      sentAt: now,
      visibleAt: now + (input.delaySeconds ?? this.record.attributes.DelaySeconds) * 1000,
      receiveCount: 0,
    };
    this.messages.set(message.id, message);
    return { message, ops: [{ type: 'put-message', queue: this.name, message }] };
  }

  /** Accepts a message moved here from another queue's redrive, keeping its id and history. */
  adopt(message: StoredMessage, sourceArn: string, now: number): StoreOp[] {
    const moved: StoredMessage = { ...message, seq: this.nextSeq++, visibleAt: now, receipt: undefined, deadLetterSourceArn: sourceArn };
    this.messages.set(moved.id, moved);
    return [{ type: 'put-message', queue: this.name, message: moved }];
  }

  /**
   * Takes up to `max` visible messages. Those past retention are dropped; those that already had their
   * maxReceiveCount deliveries are handed to `deadLetter` instead of being delivered again.
   */
  receive(
    max: number,
    visibilitySeconds: number | undefined,
    now: number,
    deadLetter: ((message: StoredMessage) => StoreOp[]) | undefined,
  ): { deliveries: Delivery[]; ops: StoreOp[] } {
    const deliveries: Delivery[] = [];
    const ops: StoreOp[] = [];
    const visibility = (visibilitySeconds ?? this.record.attributes.VisibilityTimeout) * 1000;
    const retentionMs = this.record.attributes.MessageRetentionPeriod * 1000;
    const maxReceives = this.record.attributes.RedrivePolicy?.maxReceiveCount;
    for (const message of this.messages.values()) {
      if (deliveries.length >= max) break;
      if (message.visibleAt > now) continue;
      if (message.sentAt + retentionMs <= now) {
        ops.push(...this.remove(message));
        continue;
      }
      if (deadLetter && maxReceives !== undefined && message.receiveCount >= maxReceives) {
        ops.push(...this.remove(message), ...deadLetter(message));
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + visibility;
      message.receipt = randomBytes(9).toString('base64url');
      ops.push({ type: 'put-message', queue: this.name, message: { ...message } });
      deliveries.push({ message: { ...message }, receiptHandle: encodeReceipt({ queue: this.name, id: message.id, nonce: message.receipt }) });
    }
    return { deliveries, ops };
  }

  /** Deletes the message of a receipt; a stale receipt (the message was received again since) deletes nothing, as in SQS. */
  delete(handle: string): StoreOp[] {
    const receipt = this.receiptOf(handle);
    const message = this.messages.get(receipt.id);
    if (!message || message.receipt !== receipt.nonce) return [];
    return this.remove(message);
  }

  changeVisibility(handle: string, seconds: number, now: number): StoreOp[] {
    const receipt = this.receiptOf(handle);
    const message = this.messages.get(receipt.id);
    if (!message || message.receipt !== receipt.nonce || message.visibleAt <= now) {
      throw invalidParameter(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    }
    message.visibleAt = now + seconds * 1000;
    return [{ type: 'put-message', queue: this.name, message: { ...message } }];
  }

  purge(): StoreOp[] {
    return [...this.messages.values()].flatMap((m) => this.remove(m));
  }

  /** The three approximate counts of GetQueueAttributes (exact here). */
  counts(now: number): { visible: number; notVisible: number; delayed: number } {
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount > 0) notVisible++;
      else delayed++;
    }
    return { visible, notVisible, delayed };
  }

  /** The earliest time a message not visible now becomes visible (long polls wait for it). */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const m of this.messages.values()) if (m.visibleAt > now && (next === undefined || m.visibleAt < next)) next = m.visibleAt;
    return next;
  }

  private receiptOf(handle: string): Receipt {
    const receipt = decodeReceipt(handle);
    if (receipt.queue !== this.name) throw receiptHandleInvalid(handle);
    return receipt;
  }

  private remove(message: StoredMessage): StoreOp[] {
    this.messages.delete(message.id);
    return [{ type: 'del-message', queue: this.name, seq: message.seq }];
  }
}
