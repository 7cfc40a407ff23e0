import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PathEntry } from '../../functions/contract/entry.ts';
import { buildTree, innerHash, isLeaf, leafHash, type Tree, type TreeNode } from '../../functions/contract/tree.ts';
import { applyChildEdits, applyLeafDelta, type ChildEdit } from '../../functions/contract/tree-delta.ts';
import { ApiError, type ApiClient, type RequestOptions } from '../../agent/client.ts';
import { deliver, type PolicyTree } from '../../agent/deliver.ts';
import { isMissingNodeError } from '../../agent/sync.ts';
import { scanTreeFileName, sweepScanTrees, treeFileName, treeMemory, type TreeMemory } from '../../agent/tree-memory.ts';
import { ScanTree } from '../../agent/scan-tree.ts';
import { StoredTree } from '../../agent/tree-file.ts';

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

type Wire = { level: number; entries?: PathEntry[]; children?: string[]; base?: string; remove?: string[]; put?: PathEntry[]; edits?: ChildEdit[] };

/**
 * The agent API as far as deliver() uses it: stores nodes by hash, expands deltas against the nodes it
 * holds, refuses a delta whose base it lacks and a parent whose children it lacks (as the real API does).
 */
class FakeApi {
  readonly held = new Map<string, TreeNode>();
  readonly calls: string[] = [];
  /** Every `nodes` request's nodes, as sent. */
  readonly uploads: Wire[][] = [];
  request = async (method: string, path: string, opts: RequestOptions = {}) => {
    const kind = path.slice(path.lastIndexOf('/') + 1);
    this.calls.push(kind);
    const body = (opts.json ? JSON.parse(opts.json) : opts.body) as Record<string, unknown>;
    if (kind === 'complete') {
      const missing = (body.results as { root: string }[]).map((r) => r.root).filter((r) => !this.held.has(r));
      return missing.length ? { status: 409, body: { missing } } : { status: 200, body: { status: 'running' } };
    }
    if (kind === 'have') return { status: 200, body: { missing: (body.hashes as string[]).filter((h) => !this.held.has(h)) } };
    const wires = body.nodes as Wire[];
    this.uploads.push(wires);
    const nodes = wires.map((n, i): TreeNode => {
      if (n.entries) return { level: 0, hash: leafHash(n.entries), entries: n.entries };
      if (n.children) return { level: n.level, hash: innerHash(n.level, n.children), children: n.children };
      const base = this.held.get(n.base!);
      if (!base || base.level !== n.level) {
        throw new ApiError(400, { detail: 'A delta names a base node the server does not have on that level.', errors: [{ path: `nodes.${i}.base`, message: `unknown base ${n.base}` }] }, method, path);
      }
      if (isLeaf(base)) {
        const expanded = applyLeafDelta(base.entries, { remove: n.remove!, put: n.put! });
        return { level: 0, hash: leafHash(expanded), entries: expanded };
      }
      const children = applyChildEdits(base.children, n.edits!);
      return { level: n.level, hash: innerHash(n.level, children), children };
    });
    const inRequest = new Set(nodes.map((n) => n.hash));
    for (const [i, n] of nodes.entries()) {
      const lacking = isLeaf(n) ? undefined : n.children.find((c) => !inRequest.has(c) && !this.held.has(c));
      if (lacking) {
        throw new ApiError(400, { detail: 'An inner node references a node the server does not have; upload children first.', errors: [{ path: `nodes.${i}.children`, message: `missing ${lacking}` }] }, method, path);
      }
    }
    for (const n of nodes) this.held.set(n.hash, n);
    return { status: 200, body: { stored: [...inRequest] } };
  };
  holdAll(tree: Tree): void {
    for (const node of tree.nodes.values()) this.held.set(node.hash, node);
  }
  get client(): ApiClient {
    return this as unknown as ApiClient;
  }
}

/** The hashes of a recalled tree, for comparing memories. */
const hashesOf = (tree: StoredTree | null) => (tree ? new Set(tree.hashes) : null);

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'dw-deliver-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

/** A scan's tree: written to its tree file as the agent's walk does, and the same tree in memory. */
interface Scanned {
  tree: Tree;
  file: string;
}
function scanned(list: PathEntry[], serverId = 'srv_1'): Scanned {
  const writer = new ScanTree(scanTreeFileName(stateDir, 'pol_1'), null, serverId);
  for (const e of list) writer.add(e);
  const { file } = writer.finish();
  return { tree: buildTree(list), file };
}
/** Makes `s` the memory of pol_1, as an accepted scan does (a copy: `s` may still be sent). */
function remember(memory: TreeMemory, s: Scanned): void {
  const copy = scanTreeFileName(stateDir, 'pol_1');
  linkSync(s.file, copy);
  memory.adopt('pol_1', copy);
}

const policyTree = (s: Scanned): PolicyTree => ({ policyId: 'pol_1', root: s.tree.root, file: s.file, filesScanned: s.tree.entryCount });
const send = (api: FakeApi, s: Scanned, memory?: TreeMemory, ignoreMemory = false) =>
  deliver(api.client, 'scn_1', [policyTree(s)], '2025-01-01T00:00:00.000Z', { bytes: 0 }, { memory, ignoreMemory });

describe('tree memory', () => {
  it('keeps the accepted tree per policy and enrollment, privately, and ignores a foreign or damaged file', () => {
    const first = scanned(entries(2000));
    const memory = treeMemory(stateDir, 'srv_1');
    expect(memory.recall('pol_1')).toBeNull();
    remember(memory, first);
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(first.tree.nodes.keys()));
    expect(memory.recall('pol_1')!.inner.size).toBeLessThan(first.tree.nodes.size / 8); // only inner nodes in memory
    expect(statSync(treeFileName(stateDir, 'pol_1')).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'trees')).mode & 0o777).toBe(0o700);
    expect(treeMemory(stateDir, 'srv_2').recall('pol_1')).toBeNull();
    expect(memory.recall('pol_2')).toBeNull();

    const file = treeFileName(stateDir, 'pol_1');
    const good = readFileSync(file);
    // A byte flipped inside a compressed block: its CRC fails.
    const flipped = Buffer.from(good);
    flipped[40] = flipped[40]! ^ 0xff;
    writeFileSync(file, flipped);
    expect(memory.recall('pol_1')).toBeNull();
    writeFileSync(file, good.subarray(0, good.length - 10));
    expect(memory.recall('pol_1')).toBeNull();
    writeFileSync(file, 'not a tree');
    expect(memory.recall('pol_1')).toBeNull();
    writeFileSync(file, good);
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(first.tree.nodes.keys()));
    memory.forget('pol_1');
    expect(existsSync(file)).toBe(false);
    expect(memory.recall('pol_1')).toBeNull();
  });

  it('remembers an empty tree and a single leaf', () => {
    const memory = treeMemory(stateDir, 'srv_1');
    for (const list of [[], entries(3)]) {
      const s = scanned(list);
      remember(memory, s);
      expect(memory.recall('pol_1')?.root).toBe(s.tree.root);
    }
  });

  it('replaces the memory files of earlier versions', () => {
    const memory = treeMemory(stateDir, 'srv_1');
    remember(memory, scanned(entries(10)));
    const legacy = [join(stateDir, 'trees', 'pol_1.nodes'), join(stateDir, 'trees', 'pol_1.entries')];
    for (const f of legacy) writeFileSync(f, 'x');
    remember(memory, scanned(entries(11)));
    for (const f of legacy) expect(existsSync(f)).toBe(false);
    for (const f of legacy) writeFileSync(f, 'x');
    memory.forget('pol_1');
    for (const f of legacy) expect(existsSync(f)).toBe(false);
  });

  it('a scan identical to the memory writes no tree of its own (a hard link to the remembered one)', () => {
    const memory = treeMemory(stateDir, 'srv_1');
    remember(memory, scanned(entries(500)));
    const file = treeFileName(stateDir, 'pol_1');
    const before = statSync(file).ino;
    const again = new ScanTree(scanTreeFileName(stateDir, 'pol_1'), file, 'srv_1');
    for (const e of entries(500)) again.add(e);
    const same = again.finish();
    expect(statSync(same.file).ino).toBe(before);
    memory.adopt('pol_1', same.file);
    expect(statSync(file).ino).toBe(before);
    expect(existsSync(same.file)).toBe(false);
    // A changed scan is written whole, and its tree is the one buildTree makes.
    const changed = new ScanTree(scanTreeFileName(stateDir, 'pol_1'), file, 'srv_1');
    for (const e of entries(501)) changed.add(e);
    const other = changed.finish();
    expect(statSync(other.file).ino).not.toBe(before);
    expect(new Set(StoredTree.open(other.file)!.hashes)).toEqual(new Set(buildTree(entries(501)).nodes.keys()));
  });

  it('compares with the memory as it was when the scan started, though another process replaces it meanwhile', () => {
    const memory = treeMemory(stateDir, 'srv_1');
    remember(memory, scanned(entries(3000)));
    const file = treeFileName(stateDir, 'pol_1');
    const identical = entries(3000);
    const changedLast = identical.map(([path, entry], i): PathEntry => [path, i === 2999 ? { ...entry, size: 1 } : entry]);
    const changing = new ScanTree(scanTreeFileName(stateDir, 'pol_1'), file, 'srv_1');
    const same = new ScanTree(scanTreeFileName(stateDir, 'pol_1'), file, 'srv_1');
    // Most leaves match the memory and are held back, not written...
    for (const e of changedLast.slice(0, 2000)) changing.add(e);
    for (const e of identical.slice(0, 2000)) same.add(e);
    // ...when another agent process (a watch, a scan) adopts a different tree as the memory.
    remember(memory, scanned(entries(50)));
    for (const e of changedLast.slice(2000)) changing.add(e);
    for (const e of identical.slice(2000)) same.add(e);
    const written = changing.finish();
    expect(written.root).toBe(buildTree(changedLast).root);
    expect(new Set(StoredTree.open(written.file)!.hashes)).toEqual(new Set(buildTree(changedLast).nodes.keys()));
    const linked = same.finish();
    expect(new Set(StoredTree.open(linked.file)!.hashes)).toEqual(new Set(buildTree(identical).nodes.keys()));
    // Nothing of the pin is left behind.
    expect(existsSync(`${written.file}.base`) || existsSync(`${linked.file}.base`)).toBe(false);
  });

  it('sweeps the scan files a killed agent left (trees, pins, temporary files) once a day old, and nothing else', () => {
    const trees = join(stateDir, 'trees');
    const left = ['pol_1.1.ab.scan', 'pol_1.1.ab.scan.base', 'pol_1.1.ab.scan.1.cd.tmp', 'pol_1.tree'].map((name) => join(trees, name));
    mkdirSync(trees, { recursive: true });
    for (const f of left) writeFileSync(f, 'x');
    sweepScanTrees(stateDir, Date.now() + 3600_000);
    expect(left.map((f) => existsSync(f))).toEqual([true, true, true, true]);
    sweepScanTrees(stateDir, Date.now() + 25 * 3600_000);
    expect(left.map((f) => existsSync(f))).toEqual([false, false, false, true]);
  });

  it('does not sweep the pin of an accepted tree written days ago while a scan holds it (the link is new, the file is not)', () => {
    const memory = treeMemory(stateDir, 'srv_1');
    remember(memory, scanned(entries(3000)));
    const file = treeFileName(stateDir, 'pol_1');
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    utimesSync(file, twoDaysAgo, twoDaysAgo);
    const scanning = new ScanTree(scanTreeFileName(stateDir, 'pol_1'), file, 'srv_1');
    for (const e of entries(3000).slice(0, 2000)) scanning.add(e);
    // Another agent process starts a walk meanwhile and sweeps.
    sweepScanTrees(stateDir);
    for (const e of entries(3000).slice(2000)) scanning.add(e);
    const same = scanning.finish();
    sweepScanTrees(stateDir);
    expect(StoredTree.open(same.file)?.root).toBe(buildTree(entries(3000)).root);
  });

  it('keeps policy ids out of the path', () => {
    expect(treeFileName(stateDir, '../x/y')).toBe(join(stateDir, 'trees', '%2e%2e%2fx%2fy.tree'));
  });
});

describe('deliver with a tree memory', () => {
  it('syncs a changed tree from the accepted one without any `have`, then remembers the new tree', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const first = scanned(entries(5000));
    await send(api, first, memory);
    // No memory yet: the `have` sync.
    expect(api.calls).toContain('have');
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(first.tree.nodes.keys()));

    api.calls.length = 0;
    const second = scanned(entries(5000, [7, 2500, 4999]));
    await send(api, second, memory);
    expect(api.calls).toEqual(['complete', 'nodes', 'complete']);
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(second.tree.nodes.keys()));
    // Sent as deltas against the accepted tree: each changed leaf carries just its changed entry.
    const [upload] = api.uploads.slice(-1);
    expect(upload!.filter((n) => n.level <= 1).every((n) => n.base)).toBe(true);
    expect(upload!.filter((n) => n.level === 0).flatMap((n) => n.put ?? n.entries!).map(([, e]) => e.size)).toEqual([999_999, 999_999, 999_999]);

    api.calls.length = 0;
    await send(api, second, memory);
    expect(api.calls).toEqual(['complete']);
  });

  it('falls back to `have` and drops the memory when the server refuses the upload (it lost nodes)', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    remember(memory, scanned(entries(5000)));
    // The server holds nothing of the remembered tree.
    const tree = scanned(entries(5000, [42]));
    await send(api, tree, memory);
    expect(api.calls.join(' ')).toMatch(/^complete nodes (have )+nodes complete$/);
    expect(api.held.has(tree.tree.root)).toBe(true);
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(tree.tree.nodes.keys()));
  });

  it('falls back to `have`, whole nodes, when the server lacks a delta base (it lost nodes)', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const first = scanned(entries(5000));
    api.holdAll(first.tree);
    remember(memory, first);
    // The server lost the old leaves (an inner delta's base alone would not do).
    for (const [hash, node] of api.held) if (isLeaf(node)) api.held.delete(hash);
    const tree = scanned(entries(5000, [42]));
    await send(api, tree, memory);
    expect(api.calls.join(' ')).toMatch(/^complete nodes (have )+nodes complete$/);
    expect(api.uploads[0]!.some((n) => n.base)).toBe(true);
    expect(api.uploads[1]!.some((n) => n.base)).toBe(false);
    expect(api.held.has(tree.tree.root)).toBe(true);
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(tree.tree.nodes.keys()));
  });

  it('recognises the refusals that mean the remembered tree was wrong', () => {
    const refusal = (detail: string, errors: { path: string; message: string }[] = []) => new ApiError(400, { detail, errors }, 'POST', '/nodes');
    expect(isMissingNodeError(refusal('A delta names a base node the server does not have on that level.', [{ path: 'nodes.3.base', message: 'unknown base X' }]))).toBe(true);
    expect(isMissingNodeError(refusal('The node upload is invalid.', [{ path: 'nodes.3.base', message: 'unknown base X' }]))).toBe(true);
    expect(isMissingNodeError(refusal('An inner node references a node the server does not have; upload children first.'))).toBe(true);
    expect(isMissingNodeError(refusal('A path is not under any target of the policy.'))).toBe(false);
    expect(isMissingNodeError(new ApiError(409, {}, 'POST', '/nodes'))).toBe(false);
  });

  it('falls back to `have` when the server still lacks the root after an upload from memory', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const tree = scanned(entries(3000));
    // Memory claims the very tree being sent, which the server does not hold: nothing to upload from it.
    remember(memory, tree);
    await send(api, tree, memory);
    expect(api.calls.join(' ')).toMatch(/^complete complete (have )+nodes complete$/);
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(tree.tree.nodes.keys()));
    expect(api.held.has(tree.tree.root)).toBe(true);
  });

  it('asks `have` when told to ignore the memory (baseline, --full), and still remembers the result', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const first = scanned(entries(3000));
    api.holdAll(first.tree);
    remember(memory, first);
    const second = scanned(entries(3000, [1]));
    await send(api, second, memory, true);
    expect(api.calls).toContain('have');
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(second.tree.nodes.keys()));
  });

  it('leaves the memory alone when the scan is refused for another reason', async () => {
    const api = new FakeApi();
    const memory = treeMemory(stateDir, 'srv_1');
    const first = scanned(entries(3000));
    api.holdAll(first.tree);
    remember(memory, first);
    const inner = api.request;
    api.request = async (method, path, opts) => {
      if (path.endsWith('/nodes')) throw new ApiError(400, { detail: 'A path is not under any target of the policy.' }, method, path);
      return inner(method, path, opts);
    };
    await expect(send(api, scanned(entries(3000, [5])), memory)).rejects.toThrow(/not under any target/);
    expect(hashesOf(memory.recall('pol_1'))).toEqual(new Set(first.tree.nodes.keys()));
  });
});
