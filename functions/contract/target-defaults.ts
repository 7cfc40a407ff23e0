import { ENTRY_ATTRIBUTES } from './entry.ts';
import type { Target } from './policy.schemas.ts';

/**
 * A target as the API stores it when only `path` (and `options`) were posted: the same defaults as
 * TargetInputSchema, without zod, so the agent, the bench and templates can build targets too.
 * @example newTarget('/etc/ssh', { critical: true })
 */
export function newTarget(path: string, options: Partial<Omit<Target, 'id' | 'path'>> = {}): Omit<Target, 'id'> {
  return { path, recursive: true, include: [], exclude: [], attributes: [...ENTRY_ATTRIBUTES], critical: false, alert: true, ...options };
}
