import { TTL_ATTRIBUTE } from './table.ts';
import type { Condition } from './db.ts';

/**
 * Reading items with a TTL (`expiresAt`): DynamoDB deletes expired items up to days late, and the local
 * store not at all, so a reader filters them itself, at its own `now` (domain/retention.ts isExpired is
 * the same rule for one item).
 */
export function unexpired(now: Date): Condition {
  return {
    expression: 'attribute_not_exists(#ttl) OR #ttl > :ttlNow',
    names: { '#ttl': TTL_ATTRIBUTE },
    values: { ':ttlNow': Math.floor(now.getTime() / 1000) },
  };
}

/** Every condition given (absent ones skipped); each is parenthesized only when there are several (DynamoDB refuses redundant parentheses). */
export function allOf(...conditions: Array<Condition | undefined>): Condition | undefined {
  const present = conditions.filter((c): c is Condition => c !== undefined);
  if (present.length <= 1) return present[0];
  return {
    expression: present.map((c) => `(${c.expression})`).join(' AND '),
    names: Object.assign({}, ...present.map((c) => c.names ?? {})),
    values: Object.assign({}, ...present.map((c) => c.values ?? {})),
  };
}
