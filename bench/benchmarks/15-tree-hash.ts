import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildTree, canonicalEntry, FANOUT, isLeaf, leafHash, sortEntries, type PathEntry } from '../../functions/contract/tree.ts';
import { encodeAgainst, toWire } from '../../agent/delta.ts';
import { packNodes, planKnown } from '../../agent/sync.ts';
import { syntheticEntries } from '../lib/synthetic-tree.ts';
import { versus } from '../lib/report.ts';
import type { Benchmark } from '../lib/types.ts';

/**
 * The Merkle tree's own cost, which the agent pays on every scan (unchanged rescans included) and the
 * server on every upload: the canonical form of every entry, the leaf hashes, and buildTree as a
 * whole, on 200,000 synthetic entries in this process. Anchored on `JSON.stringify` of the same
 * entries (V8's native serializer), so the ratio holds from one machine to another. Also what the tree's
 * shape (FANOUT) means for a rescan's upload: the nodes of a 10 modified / 5 added / 5 removed change
 * on 100 directories x 200 files, as the agent's own planKnown + encodeAgainst + packNodes make them
 * (gzip 6), as deltas of the remembered tree and whole (no memory: `have` sync).
 */

const FILES = 200_000;
const ROUNDS = 9;

/** 100 directories x 200 files, and the same after 10 modified, 5 added, 5 removed, in one directory or spread. */
function changeScenario(spread: boolean): { before: PathEntry[]; after: PathEntry[] } {
  const at = '2026-11-01T00:00:00.000Z';
  let inode = 1;
  const file = (path: string): PathEntry => [path, { type: 'file', size: 1000, mode: '0644', uid: 0, gid: 0, mtime: at, ctime: at, inode: inode++, hash: { algorithm: 'sha256', value: createHash('sha256').update(path).digest('hex') } }];
  const before: PathEntry[] = [];
  for (let d = 0; d < 100; d++) for (let f = 0; f < 200; f++) before.push(file(`/srv/t/dir${String(d).padStart(3, '0')}/f-${createHash('md5').update(`${d}/${f}`).digest('hex').slice(0, 10)}`));
  sortEntries(before);
  const at_ = (k: number) => (spread ? (k * 997) % before.length : 5000 + k);
  const after = before.map(([p, e]): PathEntry => [p, e]);
  for (let k = 0; k < 10; k++) after[at_(k)] = [after[at_(k)]![0], { ...after[at_(k)]![1], hash: { algorithm: 'sha256', value: 'f'.repeat(64) } }];
  const removed = new Set(Array.from({ length: 5 }, (_, k) => after[at_(100 + k)]![0]));
  const kept = after.filter(([p]) => !removed.has(p));
  for (let k = 0; k < 5; k++) kept.push(file(`${before[at_(200 + k)]![0]}-new`));
  return { before, after: sortEntries(kept) };
}

function uploadBytes(spread: boolean) {
  const { before, after } = changeScenario(spread);
  const previous = buildTree(before);
  const plan = planKnown(buildTree(after), previous.nodes);
  const bytes = (bodies: string[]) => bodies.reduce((n, body) => n + gzipSync(body, { level: 6 }).length, 0);
  return { nodes: plan.length, delta: bytes(packNodes('policy', encodeAgainst(previous, plan))), whole: bytes(packNodes('policy', plan.map(toWire))) };
}

function median(work: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    work();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

export const benchmark: Benchmark = {
  name: 'tree-hash',
  description: 'canonical form, leaf hashes and buildTree over 200,000 entries, against JSON.stringify of the same entries',
  async run(ctx) {
    const entries = syntheticEntries(FILES);
    const leaves: PathEntry[][] = [];
    for (const node of buildTree(entries).nodes.values()) if (isLeaf(node)) leaves.push(node.entries);
    ctx.log(`tree hash: ${entries.length.toLocaleString('en-US')} entries in ${leaves.length.toLocaleString('en-US')} leaves, ${ROUNDS} rounds each`);
    let sink = 0;
    const json = median(() => {
      for (const entry of entries) sink += JSON.stringify(entry).length;
    });
    const canonical = median(() => {
      for (const entry of entries) sink += canonicalEntry(entry).length;
    });
    const hashes = median(() => {
      for (const leaf of leaves) sink += leafHash(leaf).length;
    });
    const tree = median(() => {
      sink += buildTree(entries).nodes.size;
    });
    if (sink === 0) throw new Error('nothing was computed');
    const anchor = { label: `JSON.stringify of every entry`, value: json, unit: 'ms' as const };
    const perEntry = (ms: number) => `${((ms * 1000) / entries.length).toFixed(2)} µs per entry`;
    const rows = [];
    for (const spread of [false, true]) {
      const u = uploadBytes(spread);
      const where = spread ? 'spread over 20 directories' : 'in one directory';
      rows.push({
        id: `tree-hash.upload.${spread ? 'spread' : 'one-dir'}`,
        label: `rescan upload of 10/5/5 changes ${where}, ${u.nodes} nodes as deltas (FANOUT ${FANOUT})`,
        value: u.delta,
        unit: 'B' as const,
        notes: `the same nodes whole (no remembered tree): ${u.whole} B; nodes only, gzip 6, no \`complete\``,
      });
    }
    return [
      ...rows,
      versus('tree-hash.canonical', { label: `canonical form of ${entries.length.toLocaleString('en-US')} entries`, value: canonical, unit: 'ms' }, anchor, { notes: perEntry(canonical) }),
      versus('tree-hash.leaves', { label: `leaf hashes (canonical form + sha256), ${leaves.length.toLocaleString('en-US')} leaves`, value: hashes, unit: 'ms' }, anchor, { notes: perEntry(hashes) }),
      versus('tree-hash.build', { label: `buildTree of ${entries.length.toLocaleString('en-US')} entries`, value: tree, unit: 'ms' }, anchor, { notes: perEntry(tree) }),
    ];
  },
};
