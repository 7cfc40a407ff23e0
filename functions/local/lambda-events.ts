import { createHash, randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent, SQSMessageAttribute, SQSRecord } from 'aws-lambda';

/**
 * The shapes AWS hands to Lambda functions, built from what the local stand-ins return, so the local
 * stack invokes the very same handlers with the very same event types as the cloud does.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
/** The stand-ins accept any credentials; the SDK insists on some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const SCHEDULE_RULE_NAME = 'driftwatch-schedule';

export const queueArn = (queueName: string): string => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${queueName}`;

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** One SQS message as the Lambda event source mapping presents it (camelCase record, string attributes). */
export function sqsRecord(message: Message, queueName: string): SQSRecord {
  const system = message.Attributes ?? {};
  const now = String(Date.now());
  const attributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
    SentTimestamp: system.SentTimestamp ?? now,
    SenderId: system.SenderId ?? 'AIDAIENQZJOLO23YVJ4VO',
    ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? now,
  };
  for (const name of ['AWSTraceHeader', 'MessageGroupId', 'MessageDeduplicationId', 'SequenceNumber', 'DeadLetterQueueSourceArn'] as const) {
    const value = system[name];
    if (value !== undefined) (attributes as unknown as Record<string, string>)[name] = value;
  }

  const messageAttributes: Record<string, SQSMessageAttribute> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    const attribute: SQSMessageAttribute = {
      dataType: (value.DataType ?? 'String') as SQSMessageAttribute['dataType'],
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map(base64),
    };
    if (value.StringValue !== undefined) attribute.stringValue = value.StringValue;
    if (value.BinaryValue !== undefined) attribute.binaryValue = base64(value.BinaryValue);
    messageAttributes[name] = attribute;
  }

  const body = message.Body ?? '';
  const record: SQSRecord = {
    messageId: message.MessageId ?? randomUUID(),
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? md5(body),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn(queueName),
    awsRegion: LOCAL_REGION,
  };
  if (message.MD5OfMessageAttributes) (record as SQSRecord & { md5OfMessageAttributes?: string }).md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** The event an EventBridge schedule rule delivers; `time` has second precision, as EventBridge's does. */
export function scheduledEvent(time: Date, ruleName = SCHEDULE_RULE_NAME): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${ruleName}`],
    detail: {},
  };
}

/** A Lambda context for one invocation: request id, function identity and a real remaining-time clock. */
export function lambdaContext(functionName: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
