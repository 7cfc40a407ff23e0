import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheFileName, HashCache, HashCacheWriter, loadHashCache, type FileMeta } from './hash-cache.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-cache-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const meta: FileMeta = { size: 4096, mtimeMs: 1732230000123.4567, ctimeMs: 1732230001999.0001, ino: 2 ** 40 + 3 };

describe('hash cache file', () => {
  it('round-trips records exactly, including awkward paths and sub-millisecond times', () => {
    const file = cacheFileName(dir, 'p');
    const writer = new HashCacheWriter(file, 'sha512', 4);
    const names = ['/plain', '/tab\there', '/new\nline', '/back\\slash', '"/quoted', '/ünïcödé/文件', '/cr\r'];
    names.forEach((name, i) => writer.add(name, { ...meta, size: i }, `h${i}`));
    for (let i = 0; i < 5000; i++) writer.add(`/many/${i}`, { ...meta, ino: i }, 'x'.repeat(64)); // several flushes
    writer.commit();

    const cache = loadHashCache(file)!;
    expect(cache.algorithm).toBe('sha512');
    expect(cache.scansSinceFull).toBe(4);
    expect(cache.size).toBe(names.length + 5000);
    names.forEach((name, i) => expect(cache.lookup(name, { ...meta, size: i })).toBe(`h${i}`));
    expect(cache.lookup('/many/4999', { ...meta, ino: 4999 })).toBe('x'.repeat(64));
    expect(readdirSync(dir)).toEqual(['p.cache']);
  });

  it('lookup misses when any of size, mtime, ctime or inode differs', () => {
    const cache = new HashCache('sha256', 0);
    cache.add('/f', meta, 'h');
    expect(cache.lookup('/f', meta)).toBe('h');
    expect(cache.lookup('/g', meta)).toBeUndefined();
    expect(cache.lookup('/f', { ...meta, size: meta.size + 1 })).toBeUndefined();
    expect(cache.lookup('/f', { ...meta, mtimeMs: meta.mtimeMs + 0.001 })).toBeUndefined();
    expect(cache.lookup('/f', { ...meta, ctimeMs: meta.ctimeMs + 1 })).toBeUndefined();
    expect(cache.lookup('/f', { ...meta, ino: meta.ino + 1 })).toBeUndefined();
  });

  it('an aborted writer leaves the previous cache untouched and no temporary file', () => {
    const file = cacheFileName(dir, 'p');
    const first = new HashCacheWriter(file, 'sha256', 0);
    first.add('/a', meta, 'old');
    first.commit();
    const second = new HashCacheWriter(file, 'sha256', 1);
    second.add('/a', meta, 'new');
    second.abort();
    expect(readdirSync(dir)).toEqual(['p.cache']);
    expect(loadHashCache(file)!.lookup('/a', meta)).toBe('old');
  });

  it('a missing file loads as undefined', () => {
    expect(loadHashCache(join(dir, 'nope.cache'))).toBeUndefined();
  });
});
