import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPolicy } from '../../functions/contract/agent.schemas.ts';
import type { Target } from '../../functions/contract/policy.schemas.ts';
import { newTarget } from '../../functions/contract/target-defaults.ts';
import { targetFilter } from '../../agent/target-filter.ts';
import { RealTimeWatcher } from '../../agent/watch.ts';

let root: string;
let watcher: RealTimeWatcher | null = null;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dw-watch-'));
});
afterEach(() => {
  watcher?.close();
  watcher = null;
  execFileSync('rm', ['-rf', root]);
});

function policy(state: AgentPolicy['state'], target: Partial<Target>): AgentPolicy {
  return {
    id: 'pol-1',
    name: 'test',
    state,
    hashAlgorithm: 'sha256',
    cpuUsage: 'high',
    fullRehashEvery: 0,
    targets: [{ id: 't1', ...newTarget(root), ...target }],
  };
}

/** Starts a watcher and answers a function that waits for the next trigger (or times out with null). */
function start(policies: AgentPolicy[], ignore: string[] = []) {
  const triggers: { id: string; at: number }[] = [];
  watcher = new RealTimeWatcher({ filterFor: targetFilter, ignore, onChange: (id) => triggers.push({ id, at: Date.now() }), debounceMs: 200, maxWaitMs: 600 });
  const status = watcher.update(policies);
  const next = async (timeoutMs = 2000) => {
    const seen = triggers.length;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (triggers.length > seen) return triggers[triggers.length - 1]!;
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  };
  return { status, next, triggers };
}

const settle = () => new Promise((r) => setTimeout(r, 100));

describe('RealTimeWatcher', () => {
  it('reports unavailable when the host is out of inotify watches, and lists the policy for polling', () => {
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    let calls = 0;
    const watchImpl = ((path: string, options: object, listener: never) => {
      if (++calls > 1) throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
      return watch(path, options, listener);
    }) as never;
    watcher = new RealTimeWatcher({ filterFor: targetFilter, ignore: [], onChange: () => {}, watchImpl, platform: 'linux' });
    expect(watcher.update([policy('real-time', {})])).toBe('unavailable');
    expect(watcher.unwatched()).toEqual(['pol-1']);
  });

  it('is off without real-time policies', () => {
    expect(start([policy('on', {})]).status).toBe('off');
  });

  it('triggers a scan of the policy once per burst of writes', async () => {
    const w = start([policy('real-time', {})]);
    expect(w.status).toBe('active');
    await settle();
    const pending = w.next();
    for (let i = 0; i < 5; i++) writeFileSync(join(root, `f${i}.conf`), `v${i}`);
    expect((await pending)?.id).toBe('pol-1');
    expect(await w.next(500)).toBeNull();
    expect(w.triggers).toHaveLength(1);
  });

  it('sees files in directories created after it started', async () => {
    const w = start([policy('real-time', {})]);
    await settle();
    mkdirSync(join(root, 'new', 'deeper'), { recursive: true });
    expect(await w.next()).not.toBeNull();
    await settle();
    writeFileSync(join(root, 'new', 'deeper', 'x.conf'), 'x');
    expect(await w.next()).not.toBeNull();
  });

  it('ignores excluded files and the agent state dir', async () => {
    mkdirSync(join(root, 'cache'));
    mkdirSync(join(root, 'state'));
    const w = start([policy('real-time', { exclude: ['*.log', 'cache/**'] })], [join(root, 'state')]);
    await settle();
    writeFileSync(join(root, 'app.log'), 'noise');
    writeFileSync(join(root, 'cache', 'blob'), 'noise');
    writeFileSync(join(root, 'state', 'state.json'), '{}');
    expect(await w.next(800)).toBeNull();
    writeFileSync(join(root, 'app.conf'), 'signal');
    expect(await w.next()).not.toBeNull();
  });

  it('watches a single-file target through its directory (atomic replace included)', async () => {
    const file = join(root, 'sshd_config');
    writeFileSync(file, 'a');
    const w = start([policy('real-time', { path: file })]);
    await settle();
    writeFileSync(join(root, 'other'), 'x');
    expect(await w.next(800)).toBeNull();
    writeFileSync(`${file}.tmp`, 'b');
    const { renameSync } = await import('node:fs');
    renameSync(`${file}.tmp`, file);
    expect(await w.next()).not.toBeNull();
  });

  it('watches inside directories whose names are not valid UTF-8, and goes on past one it cannot watch', async () => {
    const odd = Buffer.concat([Buffer.from(`${root}/app-`), Buffer.from([0xff])]);
    mkdirSync(odd);
    // Deeper than PATH_MAX: those directories cannot be watched by path, the rest still is.
    execFileSync(process.execPath, ['-e', `const fs = require('fs'); process.chdir(process.argv[1]); for (let i = 0; i < 20; i++) { fs.mkdirSync('${'d'.repeat(250)}'); process.chdir('${'d'.repeat(250)}'); }`, root]);
    const w = start([policy('real-time', {})]);
    expect(w.status).toBe('active');
    await settle();
    writeFileSync(Buffer.concat([odd, Buffer.from('/evil')]), 'x');
    expect(await w.next()).not.toBeNull();
  });
});
