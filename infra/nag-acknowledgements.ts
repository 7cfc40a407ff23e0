import { Stack, Validations } from 'aws-cdk-lib';

/**
 * The cdk-nag findings (AwsSolutions and Serverless packs, test/infra/nag.test.ts) that are decisions, not
 * defects, each with its reason. Everything else those packs check is met; a new finding fails the test.
 */
export const NAG_ACKNOWLEDGEMENTS: ReadonlyArray<{ id: string; reason: string }> = [
  { id: 'AwsSolutions::AwsSolutions-SMG4', reason: 'The master secret must never change: enrollment keys and list cursor signatures are derived from it (docs/operations.md, Secrets). The operator key hash is replaced by the operator, not rotated by Lambda. The WebhookKey is replaced by hand with WEBHOOK_SECRET_KEY_PREVIOUS set and each destination secret re-entered, which no rotation Lambda can do.' },
  { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) support no resource-level permissions; nothing else is granted on "*".' },
  { id: 'AwsSolutions::AwsSolutions-L1', reason: 'Node.js 22 is the runtime the bundles are built for (target node22) and tested and benchmarked on; move to a newer runtime deliberately, with the bundle tests, not by a linter.' },
  { id: 'Serverless::Serverless-LambdaLatestVersion', reason: 'As AwsSolutions-L1: Node.js 22 is the tested runtime.' },
  { id: 'AwsSolutions::AwsSolutions-APIG4', reason: 'The API authorizes every route itself: each route declares who may call it (tenant API keys by role, agent credentials, the operator key; functions/api/router.ts); a gateway authorizer would double the cost and latency of every check-in.' },
  { id: 'AwsSolutions::AwsSolutions-SQS3', reason: 'The schedule DLQ is itself a dead-letter queue (of the EventBridge target and of the schedule function).' },
  { id: 'Serverless::Serverless-SQSRedrivePolicy', reason: 'These queues are the dead-letter queues; their messages are looked at and redriven by an operator (docs/operations.md), not redriven again automatically.' },
  { id: 'Serverless::Serverless-LambdaDLQ', reason: 'The workers and the API are invoked synchronously (SQS event sources, API Gateway), where a function DLQ never applies: each worker\'s queue has its DLQ. The schedule, invoked asynchronously, has one.' },
  { id: 'Serverless::Serverless-LambdaEventSourceMappingDestination', reason: 'An SQS event source has no on-failure destination: failed records go to the queue\'s own DLQ after maxReceiveCount (redrive policy).' },
  { id: 'Serverless::Serverless-SNSRedrivePolicy', reason: 'The alarm email subscription: an alarm whose mail SNS cannot deliver stays in ALARM in CloudWatch and on the dashboard, and SNS counts the failure (NumberOfNotificationsFailed); a DLQ of alarm notifications would have no one to tell.' },
];

/** Records the acknowledgements on the stack, where any cdk-nag run (test or CLI plugin) reads them. */
export function acknowledgeNagFindings(stack: Stack): void {
  Validations.of(stack).acknowledge(...NAG_ACKNOWLEDGEMENTS);
}
