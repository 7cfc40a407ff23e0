/**
 * What a Lambda function may touch, declared beside its code: infra grants exactly this (and nothing else),
 * and test/infra/code-access.test.ts reads the code reachable from the function's handler and fails when
 * the code uses what the declaration lacks, or the declaration grants what the code never uses. Workers
 * declare it in their queue declaration (functions/queues/queues.ts); the API and the schedule in
 * `api/api.function.ts` and `schedule/schedule.function.ts`.
 */

/** DynamoDB actions on the table and its indexes, named as IAM names them (`dynamodb:<action>`). */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'Scan' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';

/**
 * Secrets of the configuration (functions/shared/config.ts), by environment variable. Only the functions
 * that declare one are given it. `DRIFTWATCH_MASTER_SECRET` signs list cursors and derives enrollment keys;
 * `OPERATOR_KEY_HASH` checks the operator key; `WEBHOOK_SECRET_KEY` seals and opens sync destinations'
 * signing secrets (its `_PREVIOUS` companion, set by hand while rotating, goes with it).
 */
export type SecretName = 'DRIFTWATCH_MASTER_SECRET' | 'OPERATOR_KEY_HASH' | 'WEBHOOK_SECRET_KEY';

export interface FunctionAccess {
  /** Exactly the DynamoDB actions its code sends. */
  tableAccess: readonly TableAction[];
  /** The secrets its code reads; default none. */
  secrets?: readonly SecretName[];
  /** Sends mail (SES v2 `SendEmail`, allowed from the configured sender's identity only); default false. */
  sendsMail?: boolean;
}

/** A function that is not a queue worker (the API, the schedule): its entry and its access. */
export interface FunctionDeclaration extends FunctionAccess {
  name: 'api' | 'schedule';
  /** Entry file relative to the repository root; it exports `handler`. */
  entry: string;
}

/** Declares a non-worker function; the identity function keeps the literal types. */
export function defineFunction<const D extends FunctionDeclaration>(declaration: D): D {
  return declaration;
}
