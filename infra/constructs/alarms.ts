import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { IndexDeclaration } from '../../functions/store/table.ts';

/** The API's 5xx rate (percent of requests in five minutes) that pages: a pattern, not one bad request. */
export const API_5XX_RATE_PERCENT = 5;
/** Below this many requests in five minutes the rate says nothing (1 of 2 is 50%). */
export const API_5XX_MIN_REQUESTS = 20;
/** Read plus write throttle events of the table and its indexes in five minutes: the SDK retries a few; this many is a hot partition or a flood. */
export const DYNAMODB_THROTTLE_THRESHOLD = 25;

export interface AlarmsProps {
  /** Keyed by a readable name used in the alarm's id and description. */
  functions: Record<string, IFunction>;
  deadLetterQueues: Record<string, IQueue>;
  /** Queues whose oldest message must not wait longer than the given seconds (queue declarations' `maxMessageAgeSeconds`). */
  messageAge: Record<string, { queue: IQueue; seconds: number }>;
  httpApi: HttpApi;
  table: ITable;
  indexes: readonly IndexDeclaration[];
  /** Optional address subscribed to the alarm topic (it must confirm the subscription email). */
  email?: string | undefined;
  /** The customer-managed key (`kms` context) for the topic. */
  encryptionKey?: IKey | undefined;
}

/**
 * The alarms that mean "a person should look", all to one SNS topic (and its email), and a dashboard of the
 * same metrics: anything in a DLQ (a message or a tick failed every retry), a function that crashed, timed
 * out or was throttled (handlers report item failures rather than throw, so Errors is rare), the API's 5xx
 * rate, DynamoDB throttling, and ingest falling behind.
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    // With the kms flag, encrypted with the customer-managed key (whose policy lets CloudWatch publish);
    // without it, unencrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    this.topic = new Topic(this, 'Topic', { displayName: 'Driftwatch alarms', enforceSSL: true, masterKey: props.encryptionKey });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    const five = Duration.minutes(5);

    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      this.add(`Dlq-${name}`, `Messages in the ${name} DLQ: they failed every retry; inspect and redrive (docs/operations.md)`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }), 1);
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      this.add(`Errors-${name}`, `The ${name} function crashed or timed out`, fn.metricErrors({ period: five, statistic: 'Sum' }), 1);
      this.add(`Throttles-${name}`, `The ${name} function was throttled (its reserved concurrency, or the account's, is used up)`,
        fn.metricThrottles({ period: five, statistic: 'Sum' }), 1);
    }
    const requests = props.httpApi.metricCount({ period: five, statistic: 'Sum' });
    const serverErrors = props.httpApi.metricServerError({ period: five, statistic: 'Sum' });
    this.add('Api5xxRate', `More than ${API_5XX_RATE_PERCENT}% of API requests answered 5xx in 5 minutes (at least ${API_5XX_MIN_REQUESTS} requests)`,
      new MathExpression({
        expression: `IF(requests >= ${API_5XX_MIN_REQUESTS}, 100 * errors / requests, 0)`,
        usingMetrics: { requests, errors: serverErrors },
        label: 'API 5xx rate (%)',
        period: five,
      }), API_5XX_RATE_PERCENT, ComparisonOperator.GREATER_THAN_THRESHOLD);

    const throttleMetrics = dynamoThrottleMetrics(props.table, props.indexes, five);
    this.add('DynamoDbThrottles', `${DYNAMODB_THROTTLE_THRESHOLD} or more throttled reads and writes on the table or its indexes in 5 minutes`,
      new MathExpression({ expression: Object.keys(throttleMetrics).join(' + '), usingMetrics: throttleMetrics, label: 'DynamoDB throttle events', period: five }),
      DYNAMODB_THROTTLE_THRESHOLD);

    for (const [name, { queue, seconds }] of Object.entries(props.messageAge)) {
      this.add(`Age-${name}`, `The oldest ${name} message waited ${seconds} s or more: its worker is falling behind or failing`,
        queue.metricApproximateAgeOfOldestMessage({ period: five, statistic: 'Maximum' }), seconds);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: Stack.of(this).stackName,
      widgets: dashboardRows(this.alarms, props, { requests, serverErrors, throttleMetrics }),
    });

    new CfnOutput(this, 'TopicArn', { key: 'AlarmTopicArn', value: this.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { key: 'DashboardName', value: this.dashboard.dashboardName });
  }

  private add(id: string, description: string, metric: IMetric, threshold: number, comparison = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD): void {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: comparison,
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

/** Read and write throttle events of the table and of each index, keyed by expression id. */
function dynamoThrottleMetrics(table: ITable, indexes: readonly IndexDeclaration[], period: Duration): Record<string, Metric> {
  const metric = (name: string, index?: string) =>
    new Metric({
      namespace: 'AWS/DynamoDB',
      metricName: name,
      dimensionsMap: index ? { TableName: table.tableName, GlobalSecondaryIndexName: index } : { TableName: table.tableName },
      statistic: 'Sum',
      period,
    });
  const out: Record<string, Metric> = { tableRead: metric('ReadThrottleEvents'), tableWrite: metric('WriteThrottleEvents') };
  for (const index of indexes) {
    out[`${index.indexName}Read`] = metric('ReadThrottleEvents', index.indexName);
    out[`${index.indexName}Write`] = metric('WriteThrottleEvents', index.indexName);
  }
  return out;
}

/** The dashboard: alarm states first, then the API, the functions, the queues and the table. */
function dashboardRows(
  alarms: readonly Alarm[],
  props: AlarmsProps,
  shared: { requests: Metric; serverErrors: Metric; throttleMetrics: Record<string, Metric> },
): IWidget[][] {
  const five = Duration.minutes(5);
  const fns = Object.entries(props.functions);
  const perFunction = (title: string, metric: (fn: IFunction) => Metric) =>
    new GraphWidget({ title, width: 8, left: fns.map(([name, fn]) => metric(fn).with({ label: name })) });
  const queues = Object.entries(props.deadLetterQueues);
  return [
    [new TextWidget({ markdown: '# Driftwatch\nAlarms go to the `AlarmTopicArn` topic; what to do for each: docs/operations.md, "Alarms and what to do".', width: 24, height: 2 })],
    [new AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 24, height: 6 })],
    [
      new GraphWidget({ title: 'API requests and 5xx', width: 8, left: [shared.requests.with({ label: 'requests' })], right: [shared.serverErrors.with({ label: '5xx' })] }),
      new GraphWidget({ title: 'API 4xx', width: 8, left: [props.httpApi.metricClientError({ period: five, statistic: 'Sum' }).with({ label: '4xx' })] }),
      new GraphWidget({ title: 'API latency (ms)', width: 8, left: ['p50', 'p99'].map((s) => props.httpApi.metricLatency({ period: five, statistic: s }).with({ label: s })) }),
    ],
    [
      perFunction('Invocations', (fn) => fn.metricInvocations({ period: five, statistic: 'Sum' })),
      perFunction('Errors', (fn) => fn.metricErrors({ period: five, statistic: 'Sum' })),
      perFunction('Throttles', (fn) => fn.metricThrottles({ period: five, statistic: 'Sum' })),
    ],
    [
      perFunction('Duration p99 (ms)', (fn) => fn.metricDuration({ period: five, statistic: 'p99' })),
      perFunction('Concurrent executions', (fn) => fn.metric('ConcurrentExecutions', { period: five, statistic: 'Maximum' })),
      new GraphWidget({ title: 'Messages in DLQs', width: 8, left: queues.map(([name, q]) => q.metricApproximateNumberOfMessagesVisible({ period: five, statistic: 'Maximum' }).with({ label: name })) }),
    ],
    [
      new GraphWidget({ title: 'Oldest message age (s)', width: 8, left: Object.entries(props.messageAge).map(([name, { queue }]) => queue.metricApproximateAgeOfOldestMessage({ period: five, statistic: 'Maximum' }).with({ label: name })) }),
      new GraphWidget({ title: 'DynamoDB consumed capacity', width: 8, left: [
        props.table.metricConsumedReadCapacityUnits({ period: five, statistic: 'Sum' }).with({ label: 'read units' }),
        props.table.metricConsumedWriteCapacityUnits({ period: five, statistic: 'Sum' }).with({ label: 'write units' }),
      ] }),
      new GraphWidget({ title: 'DynamoDB throttle events', width: 8, left: Object.entries(shared.throttleMetrics).map(([label, m]) => m.with({ label })) }),
    ],
  ];
}
