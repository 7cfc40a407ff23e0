import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPolicy } from '../../functions/contract/agent.schemas.ts';
import { newTarget } from '../../functions/contract/target-defaults.ts';
import { samePolicies, startWalk } from '../../agent/run-scan.ts';
import { readTreeMeta, treeLines } from '../../agent/tree-file.ts';

let dir: string;
let root: string;
let stateDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-walk-'));
  root = join(dir, 'root');
  stateDir = join(dir, 'state');
  mkdirSync(root);
  for (let i = 0; i < 2000; i++) writeFileSync(join(root, `f${i}`), `content ${i}`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function policy(extra: Partial<AgentPolicy> = {}): AgentPolicy {
  return {
    id: 'pol-1',
    name: 'p',
    state: 'on',
    hashAlgorithm: 'sha256',
    cpuUsage: 'high',
    fullRehashEvery: 7,
    targets: [{ id: 't1', ...newTarget(root) }],
    ...extra,
  };
}

describe('a walk started ahead of the scan (during the check-in)', () => {
  // Issue 11: a walk answers each policy's tree (its file), not its entries in memory.
  it('walks every active policy and answers its tree', async () => {
    const walk = startWalk(stateDir, [policy(), policy({ id: 'pol-off', state: 'off' })], false);
    const outcome = await walk.done;
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.results.map((r) => r.policyId)).toEqual(['pol-1']);
    const leaves = [...treeLines(outcome.results[0]!.file)].filter((l) => l.level === 0);
    const files = leaves.flatMap((l) => (JSON.parse(l.json) as { entries: [string, { type: string }][] }).entries).filter(([, e]) => e.type === 'file');
    expect(files).toHaveLength(2000);
    expect(outcome.results[0]!.root).toBe(readTreeMeta(outcome.results[0]!.file)!.root);
  });

  it('stops when cancelled and leaves the hash cache as it was (none written)', async () => {
    const walk = startWalk(stateDir, [policy()], false);
    // Let it start hashing, then drop it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await walk.cancel();
    const outcome = await walk.done;
    expect(outcome.ok).toBe(false);
    const cacheDir = join(stateDir, 'cache');
    const left = (() => {
      try {
        return readdirSync(cacheDir);
      } catch {
        return [];
      }
    })();
    expect(left).toEqual([]);
    // Nor a tree file of the scan.
    expect(readdirSync(join(stateDir, 'trees')).filter((n) => !n.endsWith('.tree'))).toEqual([]);
  });

  it('is reused only for the same policies with the same settings', () => {
    expect(samePolicies([policy()], [policy()])).toBe(true);
    expect(samePolicies([policy(), policy({ id: 'x', state: 'off' })], [policy()])).toBe(true);
    expect(samePolicies([policy()], [policy({ cpuUsage: 'low' })])).toBe(false);
    expect(samePolicies([policy()], [policy({ targets: [] })])).toBe(false);
  });
});
