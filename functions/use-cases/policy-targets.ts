import { ValidationError } from '../shared/problem.ts';
import { newId } from '../shared/ids.ts';
import type { Target } from '../model/policy.ts';
import { getServer } from '../store/servers.ts';

/** Targets keep the id they were given (PATCH round-trips) and new ones get a fresh id. */
export function withIds(targets: readonly (Omit<Target, 'id'> & { id?: string | undefined })[]): Target[] {
  return targets.map((t) => ({ ...t, id: t.id ?? newId('tgt') }));
}

/** A policy's target paths are unique. */
export function checkTargets(targets: readonly Target[]): void {
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (seen.has(t.path)) throw new ValidationError('Duplicate target path.', [{ path: `targets.${i}.path`, message: `${t.path} is already a target` }]);
    seen.add(t.path);
  });
}

/** A golden-master server must exist in the tenant. */
export async function checkBaselineServer(tenantId: string, baselineServerId: string | null): Promise<void> {
  if (baselineServerId && !(await getServer(tenantId, baselineServerId))) {
    throw new ValidationError('Unknown baseline server.', [{ path: 'baselineServerId', message: `no server ${baselineServerId}` }]);
  }
}
