import { TTL_ATTRIBUTE } from './table.ts';
import { keys } from './keys.ts';
import { updateItem } from './db.ts';

/**
 * Per-tenant rate limit counters: one small item per limit and minute (`T#t#RATE`, `enroll#<minute>`),
 * counted with a conditional ADD, so concurrent requests are counted exactly without transactions or
 * a read first. The items expire by TTL; nothing reads an old window.
 */
export type RateLimitName = 'enroll';

/** Counts one request in the window; false (and nothing counted) when `limit` were already counted. */
export async function countWithinLimit(tenantId: string, name: RateLimitName, window: { id: string; expiresAt: number }, limit: number): Promise<boolean> {
  const counted = await updateItem(
    keys.rateWindow(tenantId, name, window.id),
    { add: { used: 1 }, set: { [TTL_ATTRIBUTE]: window.expiresAt } },
    { expression: 'attribute_not_exists(#used) OR #used < :limit', names: { '#used': 'used' }, values: { ':limit': limit } },
  );
  return counted !== undefined;
}

/** Counts a refused request in the window; answers how many were refused in it so far (1 for the first). */
export async function countRefusal(tenantId: string, name: RateLimitName, window: { id: string; expiresAt: number }): Promise<number> {
  const after = await updateItem<{ refused: number }>(keys.rateWindow(tenantId, name, window.id), { add: { refused: 1 }, set: { [TTL_ATTRIBUTE]: window.expiresAt } }, null);
  return after?.refused ?? 1;
}
