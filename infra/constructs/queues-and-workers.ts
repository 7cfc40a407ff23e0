import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { visibilityTimeoutSeconds, dlqName, queueUrlEnv, queueVisibilityEnv, type FunctionName, type QueueDeclaration } from '../../functions/queues/define-queue.ts';
import { appFunction, grantSendMail } from './app-function.ts';

/** Workers that send email through SES. */
const MAIL_SENDERS: ReadonlySet<string> = new Set(['alerts']);

export interface QueuesAndWorkersProps {
  root: string;
  table: ITable;
  /** The queue declarations (functions/queues/queues.ts). */
  declarations: readonly QueueDeclaration[];
  /** Environment every function gets (table, secrets, mail); queue URLs are added per sender. */
  environment: Record<string, string>;
  mailFrom: string;
}

/**
 * One SQS queue + DLQ and one worker Lambda (its declared entry, an SQS event source with partial batch
 * responses) per queue declaration. Send rights and queue URLs go only to each queue's declared senders
 * (`connectSender`), so a function can reach exactly the queues its declarations say it sends to.
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
      });
      worker.addEventSource(
        new SqsEventSource(queue, {
          batchSize: def.batchSize,
          maxBatchingWindow: Duration.seconds(1),
          // Handlers return SQSBatchResponse: only the failed records are retried.
          reportBatchItemFailures: true,
        }),
      );
      props.table.grantReadWriteData(worker);
      if (MAIL_SENDERS.has(def.name)) grantSendMail(worker, props.mailFrom);
      this.workers[def.name] = worker;
    }
    // Workers may send too (ingest wakes alerts, ...): each as the sender its declarations name.
    for (const [name, worker] of Object.entries(this.workers)) this.connectSender(worker, name as FunctionName);
  }

  /** Gives `fn` the URL and send right of every queue that declares `name` among its senders. */
  connectSender(fn: IFunction & { addEnvironment(key: string, value: string): unknown }, name: FunctionName): void {
    for (const def of this.props.declarations.filter((d) => d.senders.includes(name))) {
      this.queues[def.name]!.grantSendMessages(fn);
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
