import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { GSI1, TABLE_KEY, TTL_ATTRIBUTE } from '../../functions/store/table.ts';

/** JSON keys of the stack's secret. */
export const SECRET_KEYS = { masterSecret: 'masterSecret', operatorKeyHash: 'operatorKeyHash' } as const;

/** Stands in for the operator key hash until the operator sets one: a valid sha256 hex that no key hashes to. */
export const OPERATOR_KEY_HASH_PLACEHOLDER = '0'.repeat(64);

export interface DataProps {
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
  /** WEBHOOK_SECRET_KEY, for the functions that seal or open those secrets only (the API, the label-sync worker). */
  readonly webhookKeyEnvironment: Record<string, string>;
  /** TABLE_NAME, DRIFTWATCH_MASTER_SECRET and OPERATOR_KEY_HASH, as functions/shared/config.ts reads them. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: DataProps = {}) {
    super(scope, id);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEY.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sortKey, type: AttributeType.STRING },
      // Traffic follows agents' scan schedules and bursts at dispatch: on-demand, no capacity planning.
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: GSI1.indexName,
      partitionKey: { name: GSI1.partitionKey, type: AttributeType.STRING },
      sortKey: { name: GSI1.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

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
    this.webhookKeyEnvironment = { WEBHOOK_SECRET_KEY: SecretValue.secretsManager(this.webhookKey.secretArn).unsafeUnwrap() };

    this.environment = {
      TABLE_NAME: this.table.tableName,
      DRIFTWATCH_MASTER_SECRET: this.secretField(SECRET_KEYS.masterSecret, props.secretVersionId),
      OPERATOR_KEY_HASH: props.operatorKeyHash ?? this.secretField(SECRET_KEYS.operatorKeyHash, props.secretVersionId),
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
