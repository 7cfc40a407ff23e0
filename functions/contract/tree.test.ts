import { describe, expect, it } from 'vitest';
import { oldCanonical } from '../../test/helpers/old-canonical.ts';
import { wireFile } from '../../test/helpers/wire-scan.ts';
import type { Entry, PathEntry } from './entry.ts';
import { buildTree, canonicalEntry, innerHash, isLeaf, leafHash, sortEntries } from './tree.ts';

describe('the canonical form of a leaf is injective', () => {
  it('a one-entry leaf whose linkTarget carries the text of a two-entry leaf does not get its hash', () => {
    const victim: PathEntry[] = [['/srv/app/a', wireFile('c1', 1)], ['/srv/app/b', wireFile('c2', 2)]];
    // The attack of issue 10: the first entry whole, the second smuggled in after a newline.
    const [path, first] = victim[0]!;
    const forged: PathEntry[] = [[path, { ...first, linkTarget: `\n${oldCanonical(victim[1]!)}` }]];
    expect(`${oldCanonical(forged[0]!)}`).toBe(victim.map(oldCanonical).join('\n'));
    expect(leafHash(forged)).not.toBe(leafHash(victim));
  });

  it('fields cannot borrow text from their neighbours (path vs. linkTarget, mode vs. mtime)', () => {
    const a: PathEntry[] = [['/x\u0000file', { ...wireFile('c1', 1), linkTarget: 'y' }]];
    const b: PathEntry[] = [['/x', { ...wireFile('c1', 1), linkTarget: 'y' }]];
    expect(leafHash(a)).not.toBe(leafHash(b));
    expect(leafHash([['/x', { ...wireFile('c1', 1), mode: '06440', mtime: '2026' }]])).not.toBe(leafHash([['/x', { ...wireFile('c1', 1), mode: '0644', mtime: '02026' }]]));
  });

  it('a string is not a number, an empty list is not an empty string, and lone surrogates stay apart', () => {
    const withLink = (linkTarget: unknown) => leafHash([['/x', { ...wireFile('c1', 1), linkTarget } as unknown as Entry]]);
    expect(withLink('1')).not.toBe(withLink(1));
    expect(withLink([])).not.toBe(withLink(''));
    // Both encode to U+FFFD in UTF-8: the hash must still tell them apart.
    expect(leafHash([['/x\ud800', wireFile('c1', 1)]])).not.toBe(leafHash([['/x\udc00', wireFile('c1', 1)]]));
  });

  it('covers every Entry field, present and future, whatever the order of keys', () => {
    const base = wireFile('c7', 7);
    const withXattrs = { ...base, xattrs: { 'user.a': 'h1', 'security.selinux': 'h2' }, nlink: 1 } as Entry;
    const reordered = { nlink: 1, xattrs: { 'security.selinux': 'h2', 'user.a': 'h1' }, ...base } as Entry;
    expect(leafHash([['/x', withXattrs]])).not.toBe(leafHash([['/x', base]]));
    expect(leafHash([['/x', withXattrs]])).toBe(leafHash([['/x', reordered]]));
    expect(leafHash([['/x', { ...withXattrs, xattrs: { 'user.a': 'h1', 'security.selinux': 'h3' } } as Entry]])).not.toBe(leafHash([['/x', withXattrs]]));
    expect(canonicalEntry(['/x', withXattrs])).toBe(canonicalEntry(['/x', reordered]));
    // A field left undefined is the same as one left out (as in JSON, which carries neither).
    expect(leafHash([['/x', { ...base, linkTarget: undefined }]])).toBe(leafHash([['/x', base]]));
  });

  it('leaf and inner texts cannot be confused, nor inner nodes of different levels', () => {
    const leaf = leafHash([['/x', wireFile('c1', 1)]]);
    expect(innerHash(1, [leaf])).not.toBe(innerHash(2, [leaf]));
    expect(innerHash(1, [leaf, leaf])).not.toBe(innerHash(1, [leaf]));
  });

  it('buildTree still makes the same tree from the same entries', () => {
    const entries = sortEntries(Array.from({ length: 500 }, (_, i): PathEntry => [`/srv/app/f${String(i).padStart(4, '0')}`, wireFile(`c${i}`, i)]));
    const a = buildTree(entries);
    const b = buildTree(entries.map(([p, e]) => [p, { ...e }]));
    expect(a.root).toBe(b.root);
    const leaves = [...a.nodes.values()].filter(isLeaf);
    expect(leaves.reduce((n, l) => n + l.entries.length, 0)).toBe(500);
  });
});
