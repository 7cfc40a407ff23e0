import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../agent/serial-queue.ts';
import { wantsFull } from '../../agent/run-scan.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('SerialQueue', () => {
  it('runs tasks one at a time, in order, past failures', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, fail = false) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const a = q.run(task('a'));
    const b = q.run(task('b', true));
    const c = q.run(task('c'));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('keeps at most one waiting task per key, released when it starts', async () => {
    const q = new SerialQueue();
    let runs = 0;
    const blocker = q.run(() => tick(20));
    const first = q.runOnce('p', async () => void runs++);
    expect(first).not.toBeNull();
    expect(q.runOnce('p', async () => void runs++)).toBeNull();
    await blocker;
    await first;
    expect(q.runOnce('p', async () => void runs++)).not.toBeNull();
    await q.idle();
    expect(runs).toBe(2);
  });
});

describe('wantsFull', () => {
  it('re-hashes everything when asked and for baselines only', () => {
    expect(wantsFull({ kind: 'on-demand', full: true })).toBe(true);
    expect(wantsFull({ kind: 'baseline' })).toBe(true);
    expect(wantsFull({ kind: 'scheduled' })).toBe(false);
    expect(wantsFull({ kind: 'real-time', full: false })).toBe(false);
  });
});
