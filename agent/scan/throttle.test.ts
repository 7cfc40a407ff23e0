import { describe, expect, it } from 'vitest';
import { Throttle, type CpuUsage } from './throttle.ts';

function fake(level: CpuUsage) {
  let now = 0;
  const sleeps: number[] = [];
  const throttle = new Throttle(level, {
    sliceMs: 20,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  });
  return { throttle, sleeps, work: (ms: number) => void (now += ms) };
}

describe('Throttle', () => {
  it.each([
    ['medium', 20],
    ['low', 80],
  ] as const)('%s sleeps so that busy / wall is its share', async (level, expected) => {
    const { throttle, sleeps, work } = fake(level);
    work(10);
    expect(throttle.due()).toBe(false);
    work(10);
    expect(throttle.due()).toBe(true);
    await throttle.pause();
    expect(sleeps).toEqual([expected]);
    expect(throttle.due()).toBe(false); // a new slice started after the sleep
    expect(20 / (20 + sleeps[0]!)).toBeCloseTo(level === 'medium' ? 0.5 : 0.2);
  });

  it('high never sleeps, it only yields to the event loop', async () => {
    const { throttle, sleeps, work } = fake('high');
    work(500);
    await throttle.pause();
    expect(sleeps).toEqual([]);
  });
});
