import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule as EventSchedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { appFunction } from './app-function.ts';

export interface ScheduleProps {
  root: string;
  entry: string;
  environment: Record<string, string>;
}

/**
 * The clock: an EventBridge rule invokes the schedule function every minute; the function decides what
 * is due at `event.time` and enqueues it, so a retried or late tick enqueues the same deterministic ids.
 */
export class Schedule extends Construct {
  readonly fn: NodejsFunction;
  readonly rule: Rule;

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
    });

    this.rule = new Rule(this, 'EveryMinute', {
      description: 'Driftwatch schedule tick',
      schedule: EventSchedule.rate(Duration.minutes(1)),
      // A tick older than two minutes has been superseded by later ones.
      targets: [new LambdaFunction(this.fn, { retryAttempts: 2, maxEventAge: Duration.minutes(2) })],
    });
  }
}
