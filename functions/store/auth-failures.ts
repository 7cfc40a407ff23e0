import { TTL_ATTRIBUTE } from './table.ts';
import { keys } from './keys.ts';
import { updateItem } from './db.ts';

/**
 * Invalid credentials per source and minute, for the brute-force limit (api/middleware/brute-force.ts):
 * one small item per source and minute, counted with a conditional ADD (exact under concurrency, no read
 * first), like the per-tenant rate windows. Expires by TTL.
 */
export async function countAuthFailureWithinLimit(source: string, window: { id: string; expiresAt: number }, limit: number): Promise<boolean> {
  const counted = await updateItem(
    keys.authFailureWindow(source, window.id),
    { add: { failures: 1 }, set: { [TTL_ATTRIBUTE]: window.expiresAt } },
    { expression: 'attribute_not_exists(#failures) OR #failures < :limit', names: { '#failures': 'failures' }, values: { ':limit': limit } },
  );
  return counted !== undefined;
}
