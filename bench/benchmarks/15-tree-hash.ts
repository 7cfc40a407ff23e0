import { buildTree, canonicalEntry, isLeaf, leafHash, type PathEntry } from '../../functions/contract/tree.ts';
import { syntheticEntries } from '../lib/synthetic-tree.ts';
import { versus } from '../lib/report.ts';
import type { Benchmark } from '../lib/types.ts';

/**
 * The Merkle tree's own cost, which the agent pays on every scan (unchanged rescans included) and the
 * server on every upload: the canonical form of every entry, the leaf hashes, and buildTree as a
 * whole, on 200,000 synthetic entries in this process. Anchored on `JSON.stringify` of the same
 * entries (V8's native serializer), so the ratio holds from one machine to another.
 */

const FILES = 200_000;
const ROUNDS = 9;

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
    return [
      versus('tree-hash.canonical', { label: `canonical form of ${entries.length.toLocaleString('en-US')} entries`, value: canonical, unit: 'ms' }, anchor, { notes: perEntry(canonical) }),
      versus('tree-hash.leaves', { label: `leaf hashes (canonical form + sha256), ${leaves.length.toLocaleString('en-US')} leaves`, value: hashes, unit: 'ms' }, anchor, { notes: perEntry(hashes) }),
      versus('tree-hash.build', { label: `buildTree of ${entries.length.toLocaleString('en-US')} entries`, value: tree, unit: 'ms' }, anchor, { notes: perEntry(tree) }),
    ];
  },
};
