import { Duration, Stack } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { visibilityTimeoutSeconds, dlqName, queueUrlEnv, queueVisibilityEnv, type FunctionName, type QueueDeclaration } from '../../functions/queues/define-queue.ts';
import { appFunction } from './app-function.ts';
import { grantDeclaredAccess, type AccessSources } from './function-access.ts';

/**
 * How long a main queue keeps a message. Messages are wake-ups (the table holds the work and the schedule's
 * sweeps re-send what is owed), so four days covers a long weekend with a worker switched off, no more.
 */
export const QUEUE_RETENTION = Duration.days(4);
/**
 * How long a DLQ keeps a message: the SQS maximum. SQS keeps a message's first enqueue time when it moves
 * to the DLQ, so a DLQ must keep messages longer than its queue does: a message that reached the DLQ after
 * sitting the whole four days in its queue still has ten days there to be looked at and redriven.
 */
export const DLQ_RETENTION = Duration.days(14);
/** Worker invocations at once when a queue declares no `maxConcurrency`. */
export const DEFAULT_WORKER_CONCURRENCY = 5;

export interface QueuesAndWorkersProps {
  root: string;
  /** The queue declarations (functions/queues/queues.ts). */
  declarations: readonly QueueDeclaration[];
  /** Environment every function gets (table, mail); queue URLs and secrets are added per declaration. */
  environment: Record<string, string>;
  /** What the workers' declarations may be granted (table, secrets, mail identity). */
  access: AccessSources;
  logRetention: RetentionDays;
  /** Customer-managed key for queues, DLQs, logs and environments; SQS-managed encryption without it. */
  encryptionKey?: IKey | undefined;
  /** Whether declared reserved concurrency is applied (the `reserveConcurrency` context). */
  reserveConcurrency: boolean;
}

/**
 * One SQS queue + DLQ and one worker Lambda (its declared entry, an SQS event source with partial batch
 * responses and a maximum concurrency) per queue declaration. Send rights and queue URLs go only to each
 * queue's declared senders (`connectSender`), so a function can reach exactly the queues its declarations
 * say it sends to.
 */
export class QueuesAndWorkers extends Construct {
  readonly queues: Record<string, Queue> = {};
  readonly deadLetterQueues: Record<string, Queue> = {};
  readonly workers: Record<string, NodejsFunction> = {};

  constructor(
    scope: Construct,
    id: string,
    private readonly props: QueuesAndWorkersProps,
  ) {
    super(scope, id);
    // Physical names carry the stack name: readable in the console and in alarms, unique per stack.
    const prefix = Stack.of(this).stackName;

    for (const def of props.declarations) {
      const dlq = new Queue(this, `${def.name}-dlq`, {
        queueName: `${prefix}-${dlqName(def.name)}`,
        ...queueEncryption(props.encryptionKey),
        enforceSSL: true,
        retentionPeriod: DLQ_RETENTION,
      });
      const queue = new Queue(this, def.name, {
        queueName: `${prefix}-${def.name}`,
        ...queueEncryption(props.encryptionKey),
        enforceSSL: true,
        retentionPeriod: QUEUE_RETENTION,
        // AWS's advice for Lambda event sources: at least six times the function timeout, so a batch
        // still in flight (including the poller's retries) is not delivered a second time.
        visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(def)),
        deadLetterQueue: { queue: dlq, maxReceiveCount: def.maxReceiveCount },
      });
      this.queues[def.name] = queue;
      this.deadLetterQueues[def.name] = dlq;

      const worker = appFunction(this, `${def.name}-worker`, {
        root: props.root,
        entry: def.worker,
        description: `Driftwatch ${def.name} worker`,
        timeout: Duration.seconds(def.workerTimeoutSeconds),
        environment: props.environment,
        logRetention: props.logRetention,
        encryptionKey: props.encryptionKey,
        reservedConcurrency: props.reserveConcurrency ? def.reservedConcurrency : undefined,
      });
      worker.addEventSource(
        new SqsEventSource(queue, {
          batchSize: def.batchSize,
          maxBatchingWindow: Duration.seconds(1),
          // Handlers return SQSBatchResponse: only the failed records are retried.
          reportBatchItemFailures: true,
          // A flood of messages reaches DynamoDB or SES this many invocations at a time; the rest waits
          // in the queue (not throttled and retried, as a reserved-concurrency cap alone would do).
          maxConcurrency: def.maxConcurrency ?? DEFAULT_WORKER_CONCURRENCY,
        }),
      );
      grantDeclaredAccess(worker, def, props.access);
      this.workers[def.name] = worker;
    }
    // Workers may send too (ingest wakes alerts, ...): each as the sender its declarations name.
    for (const [name, worker] of Object.entries(this.workers)) this.connectSender(worker, name as FunctionName);
  }

  /** Gives `fn` the URL and send right of every queue that declares `name` among its senders. */
  connectSender(fn: IFunction & { addEnvironment(key: string, value: string): unknown }, name: FunctionName): void {
    for (const def of this.props.declarations.filter((d) => d.senders.includes(name))) {
      // SendMessage alone (it covers SendMessageBatch): grantSendMessages would add GetQueueAttributes and
      // GetQueueUrl, and `kms:GenerateDataKey*`-style wildcards under the kms flag.
      const queue = this.queues[def.name]!;
      queue.grant(fn, 'sqs:SendMessage');
      queue.encryptionMasterKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
      fn.addEnvironment(queueUrlEnv(def.name), this.queues[def.name]!.queueUrl);
      // Sweeps of lost messages wait one visibility timeout before they send again.
      fn.addEnvironment(queueVisibilityEnv(def.name), String(visibilityTimeoutSeconds(def)));
    }
  }

  /** The queues `name` sends to, by declaration. */
  sendsTo(name: FunctionName): string[] {
    return this.props.declarations.filter((d) => d.senders.includes(name)).map((d) => d.name);
  }
}

/**
 * SQS-managed encryption (free), or the customer-managed key with data keys reused for an hour: each
 * data key costs a KMS request, so the longest reuse SQS allows keeps KMS requests near zero.
 */
export function queueEncryption(key: IKey | undefined) {
  return key
    ? { encryption: QueueEncryption.KMS, encryptionMasterKey: key, dataKeyReuse: Duration.hours(1) }
    : { encryption: QueueEncryption.SQS_MANAGED };
}
