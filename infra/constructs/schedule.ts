import { Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule as EventSchedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { appFunction } from './app-function.ts';
import { DLQ_RETENTION, queueEncryption } from './queues-and-workers.ts';

/** Retries EventBridge makes of a tick the function failed or was throttled on, and how old a tick may get. */
export const SCHEDULE_RETRY = { retryAttempts: 2, maxEventAge: Duration.minutes(2) } as const;

export interface ScheduleProps {
  root: string;
  entry: string;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  encryptionKey?: IKey | undefined;
  reserveConcurrency: boolean;
}

/**
 * The clock: an EventBridge rule invokes the schedule function every minute; the function decides what
 * is due at `event.time` and enqueues it, so a retried or late tick enqueues the same deterministic ids.
 * A tick that still fails after its retries lands in a DLQ (and its alarm), not in silence.
 */
export class Schedule extends Construct {
  readonly fn: NodejsFunction;
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    this.fn = appFunction(this, 'Function', {
      root: props.root,
      entry: props.entry,
      description: 'Driftwatch schedule tick',
      // One tick must finish before the next one starts.
      timeout: Duration.seconds(55),
      memorySize: 1024,
      environment: props.environment,
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      // One tick at a time: a slow tick makes the next one wait (EventBridge retries a throttled tick).
      reservedConcurrency: props.reserveConcurrency ? 1 : undefined,
    });

    this.deadLetterQueue = new Queue(this, 'Dlq', {
      queueName: `${Stack.of(this).stackName}-schedule-dlq`,
      ...queueEncryption(props.encryptionKey),
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
    });
    // EventBridge invokes asynchronously: a tick that throws is retried once by Lambda within two minutes
    // (the next tick comes anyway), then recorded (with its error) in the same DLQ as a tick EventBridge
    // could not deliver.
    const dlq = this.deadLetterQueue;
    const onFailure: IDestination = {
      // SqsDestination would grant through grantSendMessages (wildcard KMS actions under the kms flag).
      bind: (_scope, fn) => {
        dlq.grant(fn, 'sqs:SendMessage');
        dlq.encryptionMasterKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
        return { destination: dlq.queueArn };
      },
    };
    this.fn.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: SCHEDULE_RETRY.maxEventAge, onFailure });
    this.rule = new Rule(this, 'EveryMinute', {
      description: 'Driftwatch schedule tick',
      schedule: EventSchedule.rate(Duration.minutes(1)),
      // A tick older than two minutes has been superseded by later ones; the sweeps make up for it.
      targets: [new LambdaFunction(this.fn, { ...SCHEDULE_RETRY, deadLetterQueue: this.deadLetterQueue })],
    });
  }
}
