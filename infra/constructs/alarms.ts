import { CfnOutput, Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** 5xx responses in five minutes that page: one is noise from a single bad request, five is a pattern. */
export const API_5XX_THRESHOLD = 5;

export interface AlarmsProps {
  /** Keyed by a readable name used in the alarm's id and description. */
  functions: Record<string, IFunction>;
  deadLetterQueues: Record<string, IQueue>;
  httpApi: HttpApi;
  /** Optional address subscribed to the alarm topic (it must confirm the subscription email). */
  email?: string;
}

/**
 * The few alarms that mean "a person should look": anything in a DLQ (a message failed every retry),
 * a function that crashed or timed out (handlers report item failures rather than throw, so Errors is
 * rare), and the API answering 5xx. All go to one SNS topic.
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    // Not KMS-encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    this.topic = new Topic(this, 'Topic', { displayName: 'Driftwatch alarms', enforceSSL: true });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));

    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      this.add(`Dlq-${name}`, `Messages in the ${name} DLQ: they failed every retry; inspect and redrive`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }), 1);
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      this.add(`Errors-${name}`, `The ${name} function crashed or timed out`,
        fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1);
    }
    this.add('Api5xx', 'The API answered 5xx',
      props.httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), API_5XX_THRESHOLD);

    new CfnOutput(this, 'TopicArn', { key: 'AlarmTopicArn', value: this.topic.topicArn });
  }

  private add(id: string, description: string, metric: IMetric, threshold: number): void {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No data means no messages / no invocations: healthy, not unknown.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}
