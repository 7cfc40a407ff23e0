import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheFileName, HashCacheReader, HashCacheWriter, type CacheRecord, type FileMeta } from './hash-cache.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-cache-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const meta: FileMeta = { size: 4096, mtimeMs: 1732230000123.4567, ctimeMs: 1732230001999.0001, ino: 2 ** 40 + 3 };
const rec = (path: string, extra: Partial<CacheRecord> = {}): CacheRecord => ({ path, ...meta, hash: 'h', ext: '', ...extra });
const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('hash cache file', () => {
  it('round-trips records exactly, including awkward paths, sub-millisecond times and extended attributes', () => {
    const file = cacheFileName(dir, 'p');
    const writer = new HashCacheWriter(file, 'sha512', 4);
    const names = ['/plain', '/tab\there', '/new\nline', '/back\\slash', '"/quoted', '/ünïcödé/文件', '/cr\r'].sort(byPath);
    const many = Array.from({ length: 5000 }, (_, i) => `/many/${i}`).sort(byPath);
    const records = [
      ...names.map((name, i) => rec(name, { size: i, hash: `h${i}`, ext: i === 0 ? '{"caps":"cap_setuid=ep"}' : i === 1 ? '?' : '' })),
      ...many.map((name) => rec(name, { ino: Number(name.slice(6)), hash: 'x'.repeat(64) })), // several flushes
    ].sort((a, b) => byPath(a.path, b.path));
    for (const r of records) writer.add(r);
    writer.commit();

    const cache = HashCacheReader.open(file)!;
    expect(cache.algorithm).toBe('sha512');
    expect(cache.scansSinceFull).toBe(4);
    expect(cache.info.count).toBe(names.length + 5000);
    // Interleaved in path order, as a walk asks.
    const all = [...names.map((n, i) => [n, { ...meta, size: i }] as const), ...many.map((n) => [n, { ...meta, ino: Number(n.slice(6)) }] as const)].sort((a, b) => byPath(a[0], b[0]));
    for (const [name, m] of all) expect(cache.lookup(name, m)?.path).toBe(name);
    cache.close();
    const again = HashCacheReader.open(file)!;
    expect(again.lookup(names[0]!, { ...meta, size: 0 })).toMatchObject({ hash: 'h0', ext: '{"caps":"cap_setuid=ep"}' });
    expect(again.lookup(names[1]!, { ...meta, size: 1 })).toMatchObject({ hash: 'h1', ext: '?' });
    again.close();
    expect(readdirSync(dir)).toEqual(['p.cache']);
  });

  it('lookup misses when any of size, mtime, ctime or inode differs, and never goes back', () => {
    const file = cacheFileName(dir, 'p');
    const writer = new HashCacheWriter(file, 'sha256', 0);
    for (const path of ['/a', '/b', '/c', '/d', '/e', '/f']) writer.add(rec(path));
    writer.commit();
    const cache = HashCacheReader.open(file)!;
    expect(cache.lookup('/a', meta)?.hash).toBe('h');
    expect(cache.lookup('/aa', meta)).toBeUndefined();
    expect(cache.lookup('/b', { ...meta, size: meta.size + 1 })).toBeUndefined();
    expect(cache.lookup('/c', { ...meta, mtimeMs: meta.mtimeMs + 0.001 })).toBeUndefined();
    expect(cache.lookup('/d', { ...meta, ctimeMs: meta.ctimeMs + 1 })).toBeUndefined();
    expect(cache.lookup('/e', { ...meta, ino: meta.ino + 1 })).toBeUndefined();
    expect(cache.lookup('/a', meta)).toBeUndefined(); // passed over
    expect(cache.lookup('/f', meta)?.hash).toBe('h');
    cache.close();
  });

  it('an aborted writer leaves the previous cache untouched and no temporary file', () => {
    const file = cacheFileName(dir, 'p');
    const first = new HashCacheWriter(file, 'sha256', 0);
    first.add(rec('/a', { hash: 'old' }));
    first.commit();
    const second = new HashCacheWriter(file, 'sha256', 1, HashCacheReader.open(file)!.info);
    second.add(rec('/a', { hash: 'new' }));
    second.abort();
    expect(readdirSync(dir)).toEqual(['p.cache']);
    expect(HashCacheReader.open(file)!.lookup('/a', meta)?.hash).toBe('old');
  });

  it('holds back records that repeat the previous file and copies them when one differs', () => {
    const file = cacheFileName(dir, 'p');
    const first = new HashCacheWriter(file, 'sha256', 0);
    for (const path of ['/a', '/b', '/c']) first.add(rec(path));
    first.commit();
    const before = readFileSync(file, 'utf8');
    const same = new HashCacheWriter(file, 'sha256', 1, HashCacheReader.open(file)!.info);
    for (const path of ['/a', '/b', '/c']) same.add(rec(path));
    same.commit();
    const counted = readFileSync(file, 'utf8');
    expect(counted.split('\n').slice(1)).toEqual(before.split('\n').slice(1));
    expect(counted.split('\n')[0]).toBe('driftwatch-hash-cache 2\tsha256\t0000000001');
    const changed = new HashCacheWriter(file, 'sha256', 2, HashCacheReader.open(file)!.info);
    for (const path of ['/a', '/b']) changed.add(rec(path));
    changed.add(rec('/c', { hash: 'new' }));
    changed.add(rec('/d'));
    changed.commit();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.slice(1, -1)).toEqual(['/a', '/b', '/c', '/d'].map((p) => `${p}\t${meta.size}\t${meta.mtimeMs}\t${meta.ctimeMs}\t${meta.ino}\t${p === '/c' ? 'new' : 'h'}\t`).concat('#end\t4'));
  });

  it('a missing, foreign or truncated file opens as undefined', () => {
    expect(HashCacheReader.open(join(dir, 'nope.cache'))).toBeUndefined();
    const file = cacheFileName(dir, 'p');
    const writer = new HashCacheWriter(file, 'sha256', 0);
    writer.add(rec('/a'));
    writer.commit();
    const text = readFileSync(file, 'utf8');
    for (const damaged of [text.slice(0, text.lastIndexOf('#end')), text.replace('hash-cache 2', 'hash-cache 1'), 'garbage']) {
      rmSync(file);
      writeFileSync(file, damaged);
      expect(HashCacheReader.open(file)).toBeUndefined();
    }
  });
});
