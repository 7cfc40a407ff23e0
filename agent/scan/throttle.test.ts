import { describe, expect, it } from 'vitest';
import { Throttle, type CpuUsage } from './throttle.ts';

function fake(level: CpuUsage) {
  let now = 0;
  let cpu = 0;
  const sleeps: number[] = [];
  const throttle = new Throttle(level, {
    sliceMs: 20,
    now: () => now,
    cpu: () => cpu,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  });
  /** `ms` of wall time during which the process used `cpuMs` of CPU. */
  const work = (ms: number, cpuMs = ms) => {
    now += ms;
    cpu += cpuMs;
  };
  return { throttle, sleeps, work };
}

describe('Throttle', () => {
  it.each([
    ['medium', 20, 0.5],
    ['low', 80, 0.2],
  ] as const)('%s sleeps so that cpu / wall is its share', async (level, expected, share) => {
    const { throttle, sleeps, work } = fake(level);
    work(10);
    expect(throttle.due()).toBe(false);
    work(10);
    expect(throttle.due()).toBe(true);
    await throttle.pause();
    expect(sleeps).toEqual([expected]);
    expect(throttle.due()).toBe(false); // a new slice started after the sleep
    expect(20 / (20 + sleeps[0]!)).toBeCloseTo(share);
  });

  it('counts CPU of every thread, also while asleep, and not time blocked on I/O', async () => {
    let now = 0;
    let cpu = 0;
    const sleeps: number[] = [];
    const throttle = new Throttle('medium', {
      sliceMs: 20,
      now: () => now,
      cpu: () => cpu,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
        cpu += 4; // a GC thread finishing while the main thread sleeps
      },
    });
    now += 20;
    cpu += 30; // GC threads worked alongside: 30 ms of CPU in 20 ms
    await throttle.pause();
    expect(sleeps).toEqual([40]); // 30 / (20 + 40) = 50%
    now += 20;
    cpu += 2; // mostly waiting for the disk: 4 + 2 ms of CPU (incl. the GC during the sleep) in 20 ms
    await throttle.pause();
    expect(sleeps).toEqual([40]); // under its share already: no sleep
    now += 20;
    cpu += 30;
    await throttle.pause();
    expect(sleeps).toEqual([40, 40]); // (30 + 0) / 0.5 - 20
  });

  it('high never sleeps, it only yields to the event loop', async () => {
    const { throttle, sleeps, work } = fake('high');
    work(500);
    await throttle.pause();
    expect(sleeps).toEqual([]);
  });
});
