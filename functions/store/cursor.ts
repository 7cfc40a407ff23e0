import { ValidationError } from '../shared/problem.ts';

/**
 * Opaque list cursors: the DynamoDB LastEvaluatedKey, base64url JSON. On the way back in, the cursor
 * must name the same partition the caller is allowed to read, so a cursor cannot cross tenants.
 */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, partitionAttribute: string, expectedPartition: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid =
    typeof key === 'object' &&
    key !== null &&
    !Array.isArray(key) &&
    Object.values(key).every((v) => typeof v === 'string' && v.length < 1024) &&
    (key as Record<string, unknown>)[partitionAttribute] === expectedPartition;
  if (!valid) throw new ValidationError('The cursor is not valid for this list.', [{ path: 'cursor', message: 'invalid cursor' }]);
  return key as Record<string, unknown>;
}
