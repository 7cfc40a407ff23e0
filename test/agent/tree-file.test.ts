import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry, PathEntry } from '../../functions/contract/entry.ts';
import { buildTree } from '../../functions/contract/tree.ts';
import { LastKnown } from '../../agent/carry-forward.ts';
import { changesBetween, reportChanges } from '../../agent/change-report.ts';
import { encodeAgainst, toWire } from '../../agent/delta.ts';
import { planKnown } from '../../agent/sync.ts';
import { ScanTree } from '../../agent/scan-tree.ts';
import { StoredBase } from '../../agent/stored-base.ts';
import { DeltaEncoder } from '../../agent/delta.ts';
import { StoredTree, treeLines } from '../../agent/tree-file.ts';
import { progressDisplay, progressLine } from '../../agent/progress.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-tree-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (size: number, extra: Partial<Entry> = {}): Entry => ({ type: 'file', size, mode: '0644', uid: 0, gid: 0, mtime: 'm', ctime: 'c', inode: size, ...extra });
function entries(count: number, change: (i: number) => Partial<Entry> | null = () => ({})): PathEntry[] {
  const list: PathEntry[] = [];
  for (let i = 0; i < count; i++) {
    const extra = change(i);
    if (extra !== null) list.push([`/etc/d${String(i % 23).padStart(2, '0')}/f${String(i).padStart(5, '0')}`, file(i, extra)]);
  }
  return list.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
let n = 0;
function write(list: PathEntry[], previous: string | null = null): { root: string; file: string } {
  const tree = new ScanTree(join(dir, `t${n++}.tree`), previous, 'srv');
  for (const e of list) tree.add(e);
  return tree.finish();
}

describe('tree files', () => {
  it('hold exactly the nodes of buildTree, children before parents, with only inner nodes in memory when opened', () => {
    const list = entries(3000);
    const { root, file: path } = write(list);
    const expected = buildTree(list);
    expect(root).toBe(expected.root);
    const stored = StoredTree.open(path, 'srv')!;
    expect(stored.hashes).toEqual(new Set(expected.nodes.keys()));
    expect(stored.entryCount).toBe(3000);
    const seen = new Set<string>();
    for (const line of treeLines(path)) {
      const node = expected.nodes.get(line.hash)!;
      expect(JSON.parse(line.json)).toEqual(toWire(node));
      if (line.level > 0) for (const child of stored.inner.get(line.hash)!.children) expect(seen.has(child)).toBe(true);
      seen.add(line.hash);
    }
    expect(StoredTree.open(path, 'another server')).toBeNull();
  });

  it('StoredBase finds the same delta bases as a tree in memory, reading the old leaves in path order', () => {
    const before = entries(5000);
    const after = entries(5000, (i) => (i % 997 === 3 ? { size: 1e6 } : i % 1499 === 7 ? null : {})).concat([['/etc/d05/new', file(1)]]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const oldTree = buildTree(before);
    const newTree = buildTree(after);
    const oldFile = write(before).file;
    const plan = planKnown(newTree, oldTree.nodes);
    expect(plan.length).toBeGreaterThan(3);
    // The file order: leaves in path order, each parent after its children (here: by level, stable).
    const inMemory = encodeAgainst(oldTree, plan);
    const streamed = new DeltaEncoder(new StoredBase(StoredTree.open(oldFile)!));
    expect(plan.map((node) => streamed.encode(node))).toEqual(inMemory);
  });

  it('LastKnown gives back the remembered entries of the places asked, in order, passing the rest over', () => {
    const list = entries(3000);
    const { file: path } = write(list);
    const known = new LastKnown(path);
    const under = (prefix: string) => list.filter(([p]) => p.startsWith(prefix)).map(([p]) => p);
    expect(known.take('/etc/d03/f00003').map(([p]) => p)).toEqual(['/etc/d03/f00003']);
    expect(known.take('/etc/d07/').map(([p]) => p)).toEqual(under('/etc/d07/'));
    expect(known.take('/etc/d07/x')).toEqual([]);
    expect(known.take('/etc/d19/').map(([p]) => p)).toEqual(under('/etc/d19/'));
    expect(known.take('/nowhere/')).toEqual([]);
    known.close();
    const scoped = new LastKnown(path, (p) => p.endsWith('0'));
    expect(scoped.take('/etc/d01/').map(([p]) => p)).toEqual(under('/etc/d01/').filter((p) => p.endsWith('0')));
  });

  it('lists what changed between two trees, passing identical leaves over', () => {
    const before = entries(3000);
    const after = entries(3000, (i) => (i === 10 ? { mode: '0600' } : i === 2000 ? null : {})).concat([['/etc/d00/zzz', file(7)]]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const a = write(before).file;
    const b = write(after).file;
    expect([...changesBetween(a, b)]).toEqual([
      { change: 'added', path: '/etc/d00/zzz', attributes: [] },
      { change: 'removed', path: before.find(([p]) => p.endsWith('f02000'))![0], attributes: [] },
      { change: 'modified', path: before.find(([p]) => p.endsWith('f00010'))![0], attributes: ['mode'] },
    ].sort((x, y) => (x.path < y.path ? -1 : 1)));
    const lines: string[] = [];
    reportChanges(a, b, 'p', 2, (line) => lines.push(line));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('policy p: ... and 1 more changes (3 in all)');
    const none: string[] = [];
    reportChanges(a, write(before).file, 'p', 2, (line) => none.push(line));
    expect(none).toEqual([]);
  });
});

describe('progress', () => {
  it('says how far, how fast and how long to go', () => {
    expect(progressLine({ entries: 50_000, filesHashed: 40_000, bytesHashed: 200e6 }, 10_000, 200_000)).toBe(
      'scanning: 50,000 entries (25%), 40,000 files / 200.0 MB hashed, 5,000 entries/s, 20.0 MB/s, ETA 0:30',
    );
    expect(progressLine({ entries: 10, filesHashed: 0, bytesHashed: 0 }, 1000, null)).toBe('scanning: 10 entries, 0 files / 0.0 MB hashed, 10 entries/s, 0.0 MB/s');
  });

  it('redraws one line on a terminal and clears it at the end', () => {
    const written: string[] = [];
    const stream = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    let t = 0;
    const p = progressDisplay(100, stream, () => t);
    t = 1000;
    p.update('a', { entries: 10, filesHashed: 1, bytesHashed: 0 });
    p.update('b', { entries: 40, filesHashed: 1, bytesHashed: 0 });
    p.finish();
    expect(written[1]).toMatch(/^\r\x1b\[Kscanning: 50 entries \(50%\)/);
    expect(written.at(-1)).toBe('\r\x1b[K');
  });
});
