import type * as z from 'zod/mini';
import type { FunctionAccess } from '../shared/function-access.ts';

/**
 * The Lambda functions of the design: the API, the schedule, and one worker per queue (named after its
 * queue). Queue declarations name their senders with these, and infra grants send rights and queue URLs
 * from that, to those functions only.
 */
export type FunctionName = 'api' | 'schedule' | 'scan-dispatch' | 'scan-ingest' | 'alerts' | 'label-sync' | 'reports' | 'label-cleanup';

/**
 * Everything about one SQS queue, in one place: the local stack, infra (queue, DLQ, worker function,
 * event source, grants) and the code that sends or receives read it from here. Its worker's access (table
 * actions, secrets, mail: FunctionAccess) is declared here too, and granted exactly.
 */
export interface QueueDeclaration<Name extends string = string, Message = unknown> extends FunctionAccess {
  /** Logical name: the local queue's name and the suffix of the cloud queue's. Its worker has the same name. */
  name: Name;
  /** The message: every send is checked against it, and so is every record the worker receives. */
  message: z.ZodMiniType<Message>;
  /** The worker's entry file, relative to the repository root; it exports `handler` (see queueWorker). */
  worker: string;
  /** Which functions send to this queue: only they get its URL and `sqs:SendMessage` on it. */
  senders: readonly FunctionName[];
  /** Deliveries before a message moves to the DLQ. */
  maxReceiveCount: number;
  /** Worker timeout in seconds on Lambda; the visibility timeout is six times this (AWS's advice). */
  workerTimeoutSeconds: number;
  /** Records per worker invocation. */
  batchSize: number;
  /**
   * Most worker invocations at once (the SQS event source's maximum concurrency, 2 to 1000; infra's default
   * when absent is DEFAULT_WORKER_CONCURRENCY): what a flood of messages may put on DynamoDB or SES at a time.
   */
  maxConcurrency?: number;
  /**
   * Lambda concurrency kept for this worker alone (also its cap), so that a flood of another function (an agent
   * storm on the API) cannot take the account's concurrency from it. Only for work that must not starve.
   */
  reservedConcurrency?: number;
  /** An alarm fires when the queue's oldest message has waited this many seconds: for work that must stay timely. */
  maxMessageAgeSeconds?: number;
}

/** Declares a queue; the identity function keeps the literal name and message types. */
export function defineQueue<const Name extends string, Message>(declaration: QueueDeclaration<Name, Message>): QueueDeclaration<Name, Message> {
  return declaration;
}

/** The message type of a queue. */
export type MessageOf<Q> = Q extends QueueDeclaration<string, infer M> ? M : never;

/** Environment variable that carries a queue's URL to the functions that send to it. */
export const queueUrlEnv = (name: string): string => `QUEUE_URL_${name.toUpperCase().replace(/-/g, '_')}`;

export const dlqName = (name: string): string => `${name}-dlq`;

/**
 * A queue's visibility timeout in the cloud: six times its worker's timeout (AWS's advice for Lambda event
 * sources), so a batch still in flight is not delivered a second time.
 */
export const visibilityTimeoutSeconds = (queue: Pick<QueueDeclaration, 'workerTimeoutSeconds'>): number => 6 * queue.workerTimeoutSeconds;

/** Environment variable that tells a queue's senders its visibility timeout (the local stack's queues use seconds, not minutes). */
export const queueVisibilityEnv = (name: string): string => `QUEUE_VISIBILITY_TIMEOUT_${name.toUpperCase().replace(/-/g, '_')}`;
