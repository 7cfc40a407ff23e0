import { describe, expect, it } from 'vitest';
import type { Entry, PathEntry } from './entry.ts';
import { applyChildEdits, applyLeafDelta, childEdits, leafDelta } from './tree-delta.ts';

const entry = (size: number): Entry => ({ type: 'file', size, mode: '0644', uid: 0, gid: 0, mtime: 't', ctime: 't', inode: size });
const leaf = (...items: [string, number][]): PathEntry[] => items.map(([p, s]) => [p, entry(s)]);

describe('leaf deltas', () => {
  it('round-trip: applying the delta of base -> next gives next, carrying only what differs', () => {
    const base = leaf(['/a', 1], ['/b', 2], ['/c', 3], ['/d', 4]);
    const next = leaf(['/a', 1], ['/b', 20], ['/bb', 5], ['/d', 4]);
    const delta = leafDelta(base, next);
    expect(delta.remove).toEqual(['/c']);
    expect(delta.put.map(([p]) => p)).toEqual(['/b', '/bb']);
    expect(applyLeafDelta(base, delta)).toEqual(next);
  });
  it('an identical leaf has an empty delta', () => {
    const base = leaf(['/a', 1]);
    expect(leafDelta(base, base)).toEqual({ remove: [], put: [] });
  });
});

describe('child edits', () => {
  it('round-trip through one splice between the common prefix and suffix', () => {
    const base = ['A', 'B', 'C', 'D', 'E'];
    const next = ['A', 'B', 'X', 'Y', 'E'];
    const edits = childEdits(base, next);
    expect(edits).toEqual([[2, 2, ['X', 'Y']]]);
    expect(applyChildEdits(base, edits)).toEqual(next);
  });
  it('handles growth, shrinkage and total replacement', () => {
    for (const [base, next] of [
      [['A'], ['A', 'B']],
      [['A', 'B', 'C'], ['C']],
      [['A', 'B'], ['X']],
      [['A', 'A'], ['A']],
    ]) {
      expect(applyChildEdits(base!, childEdits(base!, next!))).toEqual(next);
    }
  });
  it('refuses an edit outside the list', () => {
    expect(() => applyChildEdits(['A'], [[2, 0, ['B']]])).toThrow(RangeError);
    expect(() => applyChildEdits(['A'], [[0, 2, []]])).toThrow(RangeError);
  });
});
