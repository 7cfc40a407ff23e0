/**
 * Every SQS queue of Driftwatch, declared once: the CDK stack, the local stack and the code that
 * sends messages all read this list, so a queue cannot exist in one place and not the other.
 */
export interface QueueDefinition {
  /** Logical name, also the local queue name. */
  name: QueueName;
  /** Environment variable that carries the queue URL to the functions that send to it. */
  urlEnv: string;
  /** Deliveries before a message moves to the queue's DLQ. */
  maxReceiveCount: number;
  /** Worker timeout in seconds on Lambda; the visibility timeout is six times this. */
  workerTimeoutSeconds: number;
  /** Records per Lambda invocation. */
  batchSize: number;
}

export type QueueName = 'scan-dispatch' | 'scan-ingest' | 'alerts' | 'label-sync' | 'reports';

export const QUEUES: readonly QueueDefinition[] = [
  { name: 'scan-dispatch', urlEnv: 'QUEUE_URL_SCAN_DISPATCH', maxReceiveCount: 5, workerTimeoutSeconds: 60, batchSize: 10 },
  { name: 'scan-ingest', urlEnv: 'QUEUE_URL_SCAN_INGEST', maxReceiveCount: 5, workerTimeoutSeconds: 120, batchSize: 5 },
  { name: 'alerts', urlEnv: 'QUEUE_URL_ALERTS', maxReceiveCount: 5, workerTimeoutSeconds: 60, batchSize: 10 },
  { name: 'label-sync', urlEnv: 'QUEUE_URL_LABEL_SYNC', maxReceiveCount: 8, workerTimeoutSeconds: 60, batchSize: 5 },
  { name: 'reports', urlEnv: 'QUEUE_URL_REPORTS', maxReceiveCount: 3, workerTimeoutSeconds: 300, batchSize: 1 },
];

export const dlqName = (name: string): string => `${name}-dlq`;

export function queueDefinition(name: QueueName): QueueDefinition {
  const def = QUEUES.find((q) => q.name === name);
  if (!def) throw new Error(`unknown queue ${name}`);
  return def;
}
