import { defineFunction } from '../shared/function-access.ts';

/** The API function: its entry and what it may touch (infra grants this; test/infra/code-access.test.ts checks it). */
export const apiFunction = defineFunction({
  name: 'api',
  entry: 'functions/api/lambda.ts',
  tableAccess: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'],
  // WEBHOOK_SECRET_KEY seals a sync destination's signing secret when it is created or changed.
  secrets: ['DRIFTWATCH_MASTER_SECRET', 'OPERATOR_KEY_HASH', 'WEBHOOK_SECRET_KEY'],
});
