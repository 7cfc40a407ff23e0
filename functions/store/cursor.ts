import { createHmac, timingSafeEqual } from 'node:crypto';
import { secret } from '../shared/config.ts';

/**
 * Opaque list cursors: `<base64url JSON>.<HMAC>`. The signature (a key derived from the master secret)
 * means a cursor is only ever one this service handed out, for this very list: a hand-made or edited
 * cursor is refused before it can reach DynamoDB as a malformed ExclusiveStartKey, and one list's cursor
 * cannot page another list or another tenant's partition.
 */
export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not valid for this list.');
    this.name = 'InvalidCursorError';
  }
}

let signingKey: Buffer | undefined;
const key = () => (signingKey ??= createHmac('sha256', secret('DRIFTWATCH_MASTER_SECRET')).update('list-cursor').digest());
const sign = (scope: string, body: string) => createHmac('sha256', key()).update(`${scope}\n${body}`).digest().subarray(0, 16);

/** A cursor carrying `position`, valid only for `scope` (a string naming the list, tenant included). */
export function encodeCursor(scope: string, position: unknown): string {
  const body = Buffer.from(JSON.stringify(position)).toString('base64url');
  return `${body}.${sign(scope, body).toString('base64url')}`;
}

/** The position a cursor carries; throws InvalidCursorError unless this service made it for `scope`. */
export function decodeCursor<T>(scope: string, cursor: string): T {
  const [body, mac, extra] = cursor.split('.');
  if (!body || !mac || extra !== undefined) throw new InvalidCursorError();
  const given = Buffer.from(mac, 'base64url');
  const expected = sign(scope, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidCursorError();
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    throw new InvalidCursorError();
  }
}
