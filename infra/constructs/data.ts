import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SecretName } from '../../functions/shared/function-access.ts';
import { TABLE_INDEXES, TABLE_KEY, TTL_ATTRIBUTE } from '../../functions/store/table.ts';

/** JSON keys of the stack's secret. */
export const SECRET_KEYS = { masterSecret: 'masterSecret', operatorKeyHash: 'operatorKeyHash' } as const;

/** Stands in for the operator key hash until the operator sets one: a valid sha256 hex that no key hashes to. */
export const OPERATOR_KEY_HASH_PLACEHOLDER = '0'.repeat(64);

export interface DataProps {
  /** The customer-managed key (`kms` context); DynamoDB's AWS-owned key without it. */
  encryptionKey?: IKey | undefined;
  /** sha256 hex of the operator key, from CDK context; when absent it is read from the secret. */
  operatorKeyHash?: string;
  /**
   * Pins the secret version that the functions' environment resolves to. CloudFormation resolves a
   * dynamic reference only when the resource that holds it changes, so after `put-secret-value` a new
   * version id is what makes the next deploy pick up the new value.
   */
  secretVersionId?: string;
}

/**
 * The stateful part of the stack: the single table and the secrets. All are retained when the stack is
 * deleted: losing the master secret would make every derived enrollment key unusable, losing the webhook key
 * every sealed webhook signing secret unrecoverable.
 */
export class Data extends Construct {
  readonly table: Table;
  readonly secret: Secret;
  /** Key material sealing sync destinations' signing secrets (functions/shared/secrets.ts), its own secret. */
  readonly webhookKey: Secret;
  /** TABLE_NAME, as functions/shared/config.ts reads it: every function gets it. */
  readonly environment: Record<string, string>;
  /** Each secret's environment value (a dynamic reference or the context's hash): given only to functions that declare it. */
  readonly secretEnvironment: Record<SecretName, string>;

  constructor(scope: Construct, id: string, props: DataProps = {}) {
    super(scope, id);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEY.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sortKey, type: AttributeType.STRING },
      // Traffic follows agents' scan schedules and bursts at dispatch: on-demand, no capacity planning.
      billingMode: BillingMode.PAY_PER_REQUEST,
      // Without the kms flag: DynamoDB's default AWS-owned key, free (the AWS-managed aws/dynamodb key bills
      // KMS requests for every cache refresh and gains nothing an operator controls).
      ...(props.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: TableEncryption.DEFAULT }),
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Every index the store queries, from the one declaration the local stack uses too.
    for (const index of TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.secret = new Secret(this, 'Secret', {
      description: 'Driftwatch master secret (generated) and operator key hash (set by the operator)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ [SECRET_KEYS.operatorKeyHash]: OPERATOR_KEY_HASH_PLACEHOLDER }),
        generateStringKey: SECRET_KEYS.masterSecret,
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.webhookKey = new Secret(this, 'WebhookKey', {
      description: 'Driftwatch key material that seals sync destinations\' signing secrets (generated; never change it without WEBHOOK_SECRET_KEY_PREVIOUS)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.environment = { TABLE_NAME: this.table.tableName };
    this.secretEnvironment = {
      DRIFTWATCH_MASTER_SECRET: this.secretField(SECRET_KEYS.masterSecret, props.secretVersionId),
      OPERATOR_KEY_HASH: props.operatorKeyHash ?? this.secretField(SECRET_KEYS.operatorKeyHash, props.secretVersionId),
      WEBHOOK_SECRET_KEY: SecretValue.secretsManager(this.webhookKey.secretArn).unsafeUnwrap(),
    };
  }

  /**
   * A `{{resolve:secretsmanager:...}}` dynamic reference. config.ts reads plain environment variables, so
   * CloudFormation resolves the value at deploy time: the functions need no secretsmanager permission
   * and no SDK call at cold start, at the price of the value being readable by whoever may call
   * lambda:GetFunctionConfiguration (see docs/operations.md).
   */
  private secretField(jsonField: string, versionId: string | undefined): string {
    return SecretValue.secretsManager(this.secret.secretArn, { jsonField, versionId }).unsafeUnwrap();
  }
}
