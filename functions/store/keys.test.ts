import { describe, expect, it } from 'vitest';
import { deterministicId } from '../shared/ids.ts';
import type { Event } from '../model/event.ts';
import { events } from './events.ts';
import { scans } from './scans.ts';
import { keys, SHARDS, WAKE_SHARDS } from './keys.ts';
import { groups } from './groups.ts';
import { newId } from '../shared/ids.ts';

/**
 * No hot partition (docs/data-model.md): the items one large ingest writes spread over the tenant's
 * write shards, on the table and on every index, instead of landing at the end of one partition.
 */
function ingestOf(count: number): Event[] {
  const detectedAt = new Date('2026-11-10T09:00:00.000Z');
  return Array.from({ length: count }, (_, i) => ({
    id: deterministicId('evt', detectedAt, `scn_patchday\npol_web\n/usr/lib/x86_64-linux-gnu/lib${i}.so`),
    serverId: 'srv_web1',
    hostname: 'web-1',
    groupId: 'grp_web',
    policyId: 'pol_web',
    targetPath: '/usr/lib',
    path: `/usr/lib/x86_64-linux-gnu/lib${i}.so`,
    changeType: 'modified' as const,
    changedAttributes: ['content' as const],
    severity: 'normal' as const,
    source: 'scan' as const,
    detectedAt: detectedAt.toISOString(),
    before: null,
    after: null,
    labels: [],
  }));
}

function partitionLoad(items: Record<string, unknown>[], attribute: string): Map<string, number> {
  const load = new Map<string, number>();
  for (const item of items) {
    const key = item[attribute] as string | undefined;
    if (key !== undefined) load.set(key, (load.get(key) ?? 0) + 1);
  }
  return load;
}

describe('write sharding', () => {
  const items = ingestOf(10_000).map((e) => events.item('tnt_a', e));

  it('spreads a 10,000-event ingest over every shard of the table and of the policy index', () => {
    for (const attribute of ['pk', 'gsi2pk']) {
      const load = partitionLoad(items, attribute);
      expect(load.size, attribute).toBe(SHARDS);
      // Even enough that no shard takes much more than its share (10,000 / 16 = 625).
      expect(Math.max(...load.values()), attribute).toBeLessThan(1.25 * (10_000 / SHARDS));
    }
  });

  it('keeps one server\'s events in its own partition of the server index', () => {
    expect(partitionLoad(items, 'gsi1pk').size).toBe(1);
  });

  it('spreads 10,000 scheduled scans of one tick over every scan shard', () => {
    const at = new Date('2026-11-10T02:00:00.000Z');
    const scanItems = Array.from({ length: 10_000 }, (_, i) =>
      scans.item('tnt_a', { id: deterministicId('scn', at, `grp\n${at.toISOString()}\nsrv_${i}`), serverId: `srv_${i}`, kind: 'scheduled', status: 'pending', requestedAt: at.toISOString() }),
    );
    const load = partitionLoad(scanItems, 'pk');
    expect(load.size).toBe(SHARDS);
    expect(Math.max(...load.values())).toBeLessThan(1.25 * (10_000 / SHARDS));
  });

  it('spreads the sweep index entries of 10,000 uploads recorded at once over every shard', () => {
    const at = '2026-11-10T02:03:00.000Z';
    const entries = Array.from({ length: 10_000 }, (_, i) => keys.scanAwaitingIngest('tnt_a', deterministicId('scn', new Date(at), `srv_${i}`), at));
    const load = partitionLoad(entries, 'gsi2pk');
    expect(load.size).toBe(SHARDS);
    expect(Math.max(...load.values())).toBeLessThan(1.25 * (10_000 / SHARDS));
    expect(keys.scansAwaitingIngest('tnt_a', at).pks).toEqual([...load.keys()].sort((a, b) => Number(a.split('#').pop()) - Number(b.split('#').pop())));
  });

  it('spreads the wake index entries of 10,000 groups (100 tenants) due at one minute over every wake shard', () => {
    const now = new Date('2026-11-10T01:00:00.000Z');
    const groupItems = Array.from({ length: 10_000 }, (_, i) => {
      const group = { id: newId('grp', now), name: `g${i}`, policyIds: [], alertProfileIds: [], scanSchedule: { frequency: 'hourly' as const, time: '00:00' }, scanOnAgentStart: false, builtIn: false, createdAt: now.toISOString(), updatedAt: now.toISOString(), nextDueAt: '2026-11-10T02:00:00.000Z' };
      return groups.item(`tnt_${i % 100}`, group);
    });
    const load = partitionLoad(groupItems, 'gsi3pk');
    expect(load.size).toBe(WAKE_SHARDS);
    expect(Math.max(...load.values())).toBeLessThan(1.25 * (10_000 / WAKE_SHARDS));
  });
});
