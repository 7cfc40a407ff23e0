import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PathEntry } from '../../functions/contract/entry.ts';
import { buildTree, innerHash, leafHash, type Tree } from '../../functions/contract/tree.ts';
import { ApiError, type ApiClient, type RequestOptions } from '../../agent/client.ts';
import { deliver, type PolicyTree } from '../../agent/deliver.ts';
import { treeFileName, treeMemory, type TreeMemory } from '../../agent/tree-memory.ts';

function entries(count: number, bump: number[] = []): PathEntry[] {
  const list: PathEntry[] = [];
  for (let i = 0; i < count; i++) {
    list.push([
      `/etc/app/dir${String(i % 41).padStart(2, '0')}/f${String(i).padStart(5, '0')}`,
      { type: 'file', size: bump.includes(i) ? 999_999 : i, mode: '0644', uid: 0, gid: 0, mtime: '2025-01-01T00:00:00.000Z', ctime: '2025-01-01T00:00:00.000Z', inode: i + 1 },
    ]);
  }
  return list.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The agent API as far as deliver() uses it: stores nodes by hash, refuses a parent whose children it lacks. */
class FakeApi {
  readonly held = new Set<string>();
  readonly calls: string[] = [];
  request = async (method: string, path: string, opts: RequestOptions = {}) => {
    const kind = path.slice(path.lastIndexOf('/') + 1);
    this.calls.push(kind);
    const body = (opts.json ? JSON.parse(opts.json) : opts.body) as Record<string, unknown>;
    if (kind === 'complete') {
      const missing = (body.results as { root: string }[]).map((r) => r.root).filter((r) => !this.held.has(r));
      return missing.length ? { status: 409, body: { missing } } : { status: 200, body: { status: 'running' } };
    }
    if (kind === 'have') return { status: 200, body: { missing: (body.hashes as string[]).filter((h) => !this.held.has(h)) } };
    const nodes = (body.nodes as ({ level: 0; entries: PathEntry[] } | { level: number; children: string[] })[]).map((n) =>
      'entries' in n ? { hash: leafHash(n.entries), children: [] as string[] } : { hash: innerHash(n.level, n.children), children: n.children },
    );
    const inRequest = new Set(nodes.map((n) => n.hash));
    for (const [i, n] of nodes.entries()) {
      const lacking = n.children.find((c) => !inRequest.has(c) && !this.held.has(c));
      if (lacking) {
        throw new ApiError(400, { detail: 'An inner node references a node the server does not have; upload children first.', errors: [{ path: `nodes.${i}.children`, message: `missing ${lacking}` }] }, method, path);
      }
    }
    for (const n of nodes) this.held.add(n.hash);
    return { status: 200, body: { stored: [...inRequest] } };
  };
  holdAll(tree: Tree): void {
    for (const hash of tree.nodes.keys()) this.held.add(hash);
  }
  get client(): ApiClient {
    return this as unknown as ApiClient;
  }
}

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'dw-deliver-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const policyTree = (tree: Tree): PolicyTree => ({ policyId: 'pol_1', tree, filesScanned: tree.entryCount });
const send = (api: FakeApi, tree: Tree, memory?: TreeMemory, ignoreMemory = false) =>
  deliver(api.client, 'scn_1', [policyTree(tree)], '2025-01-01T00:00:00.000Z', { bytes: 0 }, { memory, ignoreMemory });

describe('tree memory', () => {
  it('keeps the accepted tree per policy and enrollment, privately, and ignores a foreign or damaged file', () => {
    const tree = buildTree(entries(2000));
    const memory = treeMemory(stateDir, 'srv_1');
    expect(memory.recall('pol_1')).toBeNull();
    memory.remember('pol_1', tree);
    expect(memory.recall('pol_1')).toEqual(new Set(tree.nodes.keys()));
    expect(statSync(treeFileName(stateDir, 'pol_1')).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'trees')).mode & 0o777).toBe(0o700);
    expect(treeMemory(stateDir, 'srv_2').recall('pol_1')).toBeNull();
    expect(memory.recall('pol_2')).toBeNull();

    const file = treeFileName(stateDir, 'pol_1');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n[^\n]+\n$/, '\nnot a hash\n'));
    expect(memory.recall('pol_1')).toBeNull();
    memory.forget('pol_1');
    expect(memory.recall('pol_1')).toBeNull();
  });

  it('does not rewrite the file for the same tree', () => {
    const tree = buildTree(entries(500));
    const memory = treeMemory(stateDir, 'srv_1');
    memory.remember('pol_1', tree);
    const file = treeFileName(stateDir, 'pol_1');
    const before = statSync(file).ino;
    memory.remember('pol_1', tree);
    expect(statSync(file).ino).toBe(before);
    memory.remember('pol_1', buildTree(entries(501)));
    expect(statSync(file).ino).not.toBe(before);
  });

  it('keeps policy ids out of the path', () => {
    expect(treeFileName(stateDir, '../x/y')).toBe(join(stateDir, 'trees', '%2e%2e%2fx%2fy.nodes'));
  });
});

describe('deliver with a tree memory', () => {
  it('syncs a changed tree from the accepted one without any `have`, then remembers the new tree', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const first = buildTree(entries(5000));
    await send(api, first, memory);
    // No memory yet: the `have` sync.
    expect(api.calls).toContain('have');
    expect(memory.recall('pol_1')).toEqual(new Set(first.nodes.keys()));

    api.calls.length = 0;
    const second = buildTree(entries(5000, [7, 2500, 4999]));
    await send(api, second, memory);
    expect(api.calls).toEqual(['complete', 'nodes', 'complete']);
    expect(memory.recall('pol_1')).toEqual(new Set(second.nodes.keys()));

    api.calls.length = 0;
    await send(api, second, memory);
    expect(api.calls).toEqual(['complete']);
  });

  it('falls back to `have` and drops the memory when the server refuses the upload (it lost nodes)', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    memory.remember('pol_1', buildTree(entries(5000)));
    // The server holds nothing of the remembered tree.
    const tree = buildTree(entries(5000, [42]));
    await send(api, tree, memory);
    expect(api.calls.join(' ')).toMatch(/^complete nodes (have )+nodes complete$/);
    expect(api.held.has(tree.root)).toBe(true);
    expect(memory.recall('pol_1')).toEqual(new Set(tree.nodes.keys()));
  });

  it('falls back to `have` when the server still lacks the root after an upload from memory', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const tree = buildTree(entries(3000));
    // Memory claims the very tree being sent, which the server does not hold: nothing to upload from it.
    memory.remember('pol_1', tree);
    await send(api, tree, memory);
    expect(api.calls.join(' ')).toMatch(/^complete complete (have )+nodes complete$/);
    expect(memory.recall('pol_1')).toEqual(new Set(tree.nodes.keys()));
    expect(api.held.has(tree.root)).toBe(true);
  });

  it('asks `have` when told to ignore the memory (baseline, --full), and still remembers the result', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const first = buildTree(entries(3000));
    api.holdAll(first);
    memory.remember('pol_1', first);
    const second = buildTree(entries(3000, [1]));
    await send(api, second, memory, true);
    expect(api.calls).toContain('have');
    expect(memory.recall('pol_1')).toEqual(new Set(second.nodes.keys()));
  });

  it('leaves the memory alone when the scan is refused for another reason', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const first = buildTree(entries(3000));
    api.holdAll(first);
    memory.remember('pol_1', first);
    const inner = api.request;
    api.request = async (method, path, opts) => {
      if (path.endsWith('/nodes')) throw new ApiError(400, { detail: 'A path is not under any target of the policy.' }, method, path);
      return inner(method, path, opts);
    };
    await expect(send(api, buildTree(entries(3000, [5])), memory)).rejects.toThrow(/not under any target/);
    expect(memory.recall('pol_1')).toEqual(new Set(first.nodes.keys()));
  });
});
