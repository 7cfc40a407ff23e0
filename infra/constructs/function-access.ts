import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IndexDeclaration } from '../../functions/store/table.ts';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { FunctionAccess, SecretName, TableAction } from '../../functions/shared/function-access.ts';
import { grantSendMail } from './app-function.ts';

const TABLE_WRITES: ReadonlySet<TableAction> = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

export interface AccessSources {
  table: ITable;
  /** The table's indexes (functions/store/table.ts): a function that queries may query these. */
  indexes: readonly IndexDeclaration[];
  /** Environment value of each secret (data.ts). */
  secrets: Record<SecretName, string>;
  /** The SES identity mail is sent from. */
  mailFrom: string;
}

/**
 * Grants a function exactly what its declaration says (functions/shared/function-access.ts), and nothing
 * else: its DynamoDB actions on the table and its indexes, the secrets it reads (as environment values),
 * SES `SendEmail` from the configured identity when it sends mail. test/infra/code-access.test.ts keeps the
 * declarations equal to what the code uses.
 */
export function grantDeclaredAccess(fn: NodejsFunction, access: FunctionAccess, sources: AccessSources): void {
  if (access.tableAccess.length > 0) {
    // On the table, and on the declared indexes by name (not `index/*`) when it queries.
    const queries = access.tableAccess.some((action) => action === 'Query' || action === 'Scan');
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: access.tableAccess.map((action) => `dynamodb:${action}`),
        resources: [sources.table.tableArn, ...(queries ? sources.indexes.map((index) => `${sources.table.tableArn}/index/${index.indexName}`) : [])],
      }),
    );
  }
  // With the kms flag DynamoDB uses the key on the caller's behalf: readers decrypt, writers also encrypt.
  // Spelled out (no `kms:GenerateDataKey*`): no statement of the stack has a wildcard action.
  const key = sources.table.encryptionKey;
  if (key && access.tableAccess.length > 0) {
    const writes = access.tableAccess.some((action) => TABLE_WRITES.has(action));
    key.grant(fn, 'kms:Decrypt', 'kms:DescribeKey', ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []));
  }
  for (const name of access.secrets ?? []) fn.addEnvironment(name, sources.secrets[name]);
  if (access.sendsMail) grantSendMail(fn, sources.mailFrom);
}
