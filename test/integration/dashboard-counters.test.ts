import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { countChange, countChanges, readDayCounters } from '../../functions/store/dashboard-counters.ts';
import { getItem } from '../../functions/store/db.ts';
import { shardOf, triageKeys } from '../../functions/store/keys.ts';

/** The dashboard counters on the real store: exactly-once counts, and dedupe keys that do not pile up. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const HOUR = 3_600_000;
const t0 = new Date('2026-11-10T08:00:00.000Z');
const dedupeKeys = async (tenantId: string, day: string, serverId: string) =>
  Object.keys((await getItem<Record<string, unknown>>(triageKeys.dayCounters(tenantId, day, shardOf(serverId)))) ?? {}).filter((k) => k.startsWith('c_'));

describe('dashboard counters', () => {
  it('count each change once, alone or in a batch, and in any hour', async () => {
    const tenantId = 'tnt_counters1';
    const change = (key: string, n = 1) => ({ day: '2026-11-10', serverId: 'srv_a', hostname: 'a', dedupeKey: key, deltas: { total: n, added: n, normal: n } });
    expect(await countChange(tenantId, change('ingest/s1/p'), t0)).toBe(true);
    expect(await countChange(tenantId, change('ingest/s1/p'), new Date(t0.getTime() + 2 * HOUR))).toBe(false);
    expect(await countChanges(tenantId, [change('ingest/s2/p', 2), change('ingest/s1/p'), change('ingest/s3/p', 3)], t0)).toEqual([true, false, true]);
    const [day] = await readDayCounters(tenantId, '2026-11-10', '2026-11-10');
    expect(day).toMatchObject({ total: 6, added: 6, normal: 6, servers: { srv_a: { total: 6, hostname: 'a' } } });
  });

  it('drop dedupe keys older than a day, and a day\'s keys when the shard is first written two days later', async () => {
    const tenantId = 'tnt_counters2';
    const change = (day: string, key: string) => ({ day, serverId: 'srv_b', dedupeKey: key, deltas: { total: 1 } });
    await countChange(tenantId, change('2026-11-10', 'k1'), t0);
    await countChange(tenantId, change('2026-11-10', 'k2'), new Date(t0.getTime() + 1 * HOUR));
    expect(await dedupeKeys(tenantId, '2026-11-10', 'srv_b')).toHaveLength(2);
    await countChange(tenantId, change('2026-11-10', 'k3'), new Date(t0.getTime() + 25.5 * HOUR));
    expect(await dedupeKeys(tenantId, '2026-11-10', 'srv_b')).toHaveLength(2); // k1 (over 24 h old) went
    await countChange(tenantId, change('2026-11-12', 'k4'), new Date(t0.getTime() + 49 * HOUR));
    expect(await dedupeKeys(tenantId, '2026-11-10', 'srv_b')).toEqual([]);
    expect((await readDayCounters(tenantId, '2026-11-10', '2026-11-12')).map((d) => [d.day, d.total])).toEqual([
      ['2026-11-10', 3],
      ['2026-11-12', 1],
    ]);
  });
});
