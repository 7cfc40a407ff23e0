import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * The customer-managed KMS key of the `kms` context flag: the table, every queue and DLQ, the alarm topic,
 * every log group and the functions' environments (which hold the resolved secrets) are encrypted with it,
 * so reading any of them needs `kms:Decrypt` on a key the account controls, and CloudTrail records each use.
 * It costs $1 a month plus requests (docs/operations.md), so it is off by default: the default encryption
 * (DynamoDB's AWS-owned key, SQS-managed SSE, CloudWatch Logs' own) is free.
 *
 * The key is retained with the table: deleting it would make the retained table unreadable.
 */
export class Encryption extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new Key(this, 'Key', {
      description: `Driftwatch (${stack.stackName}): table, queues, alarm topic, logs, function environments`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      alias: `alias/${stack.stackName.toLowerCase()}`,
    });
    // CloudWatch Logs encrypts log groups itself, for log groups of this account only.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: undefined }) } },
      }),
    );
    // CloudWatch alarms publish to the encrypted topic; EventBridge sends failed ticks to the encrypted DLQ.
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }
  }
}
