import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { dlqName, QUEUES, type QueueName } from '../../functions/shared/queues.ts';
import { appFunction, grantSendMail } from './app-function.ts';

/** Queue name -> worker entry file (relative to the repo root). A queue without an entry gets no worker. */
export type WorkerEntries = Partial<Record<QueueName, string>>;

/** Workers that send email through SES. */
const MAIL_SENDERS: ReadonlySet<QueueName> = new Set(['alerts']);

export interface QueuesAndWorkersProps {
  root: string;
  table: ITable;
  /** Environment every function gets besides the queue URLs (table, secrets, mail). */
  environment: Record<string, string>;
  workers: WorkerEntries;
  mailFrom: string;
}

/**
 * One SQS queue + DLQ per entry of QUEUES, and a worker Lambda for each queue named in `workers`.
 * Every queue exists even before its worker does, because config.ts requires every QUEUE_URL_* in every
 * function. Until a worker exists its messages sit in the queue (default 4-day retention), not the DLQ.
 */
export class QueuesAndWorkers extends Construct {
  readonly queues = {} as Record<QueueName, Queue>;
  readonly deadLetterQueues = {} as Record<QueueName, Queue>;
  readonly workers: Partial<Record<QueueName, NodejsFunction>> = {};
  /** QUEUE_URL_* for every queue: config.ts requires all of them in every function. */
  readonly urlEnvironment: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: QueuesAndWorkersProps) {
    super(scope, id);
    // Physical names carry the stack name: readable in the console and in alarms, unique per stack.
    const prefix = Stack.of(this).stackName;

    for (const def of QUEUES) {
      const dlq = new Queue(this, `${def.name}-dlq`, {
        queueName: `${prefix}-${dlqName(def.name)}`,
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // The longest SQS allows: time to look at a failure and redrive it.
        retentionPeriod: Duration.days(14),
      });
      const queue = new Queue(this, def.name, {
        queueName: `${prefix}-${def.name}`,
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // AWS's advice for Lambda event sources: at least six times the function timeout, so a batch
        // still in flight (including the poller's retries) is not delivered a second time.
        visibilityTimeout: Duration.seconds(6 * def.workerTimeoutSeconds),
        deadLetterQueue: { queue: dlq, maxReceiveCount: def.maxReceiveCount },
      });
      this.queues[def.name] = queue;
      this.deadLetterQueues[def.name] = dlq;
      this.urlEnvironment[def.urlEnv] = queue.queueUrl;
    }

    const environment = { ...props.environment, ...this.urlEnvironment };
    for (const def of QUEUES) {
      const entry = props.workers[def.name];
      if (!entry) continue;
      const worker = appFunction(this, `${def.name}-worker`, {
        root: props.root,
        entry,
        description: `Driftwatch ${def.name} worker`,
        timeout: Duration.seconds(def.workerTimeoutSeconds),
        environment,
      });
      worker.addEventSource(
        new SqsEventSource(this.queues[def.name], {
          batchSize: def.batchSize,
          maxBatchingWindow: Duration.seconds(1),
          // Handlers return SQSBatchResponse: only the failed records are retried.
          reportBatchItemFailures: true,
        }),
      );
      props.table.grantReadWriteData(worker);
      // Workers fan out (ingest -> alerts, label-sync...): they may send to every queue.
      this.grantSend(worker, QUEUES.map((q) => q.name));
      if (MAIL_SENDERS.has(def.name)) grantSendMail(worker, props.mailFrom);
      this.workers[def.name] = worker;
    }
  }

  /** SendMessage(Batch) on the named queues only. */
  grantSend(grantee: IGrantable, names: readonly QueueName[]): void {
    for (const name of names) this.queues[name].grantSendMessages(grantee);
  }
}
