import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPolicy } from '../../functions/contract/agent.schemas.ts';
import type { Entry, HashAlgorithm, PathEntry } from '../../functions/contract/entry.ts';
import type { Target } from '../../functions/contract/policy.schemas.ts';
import { buildTree, sortEntries } from '../../functions/contract/tree.ts';
import { newTarget } from '../../functions/contract/target-defaults.ts';
import { cacheFileName } from './hash-cache.ts';
import { scanPolicy, type PolicyScanResult } from './scan-policy.ts';

let dir: string;
let root: string;
let cacheDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-scan-'));
  root = join(dir, 'root');
  cacheDir = join(dir, 'state', 'cache');
  mkdirSync(root);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function target(path: string, extra: Partial<Target> = {}): Target {
  return { id: `t-${path}`, ...newTarget(path), ...extra };
}

function policy(targets: Target[], extra: Partial<AgentPolicy> = {}): AgentPolicy {
  return { id: 'pol-1', name: 'p', state: 'on', hashAlgorithm: 'sha256', cpuUsage: 'high', fullRehashEvery: 7, targets, ...extra };
}

function write(rel: string, content: string | Buffer = rel): string {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

const digest = (algorithm: string, content: string | Buffer): string => createHash(algorithm).update(content).digest('hex');
const paths = (result: PolicyScanResult): string[] => result.entries.map(([p]) => p);
const rel = (result: PolicyScanResult): string[] => paths(result).map((p) => (p === root ? '.' : p.slice(root.length + 1)));
const entryOf = (result: PolicyScanResult, path: string): Entry => {
  const found = result.entries.find(([p]) => p === path);
  if (!found) throw new Error(`no entry for ${path}`);
  return found[1];
};
const scan = (p: AgentPolicy, extra: { full?: boolean; onlyPaths?: string[] } = {}) => scanPolicy(p, { cacheDir, full: false, ...extra });

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', [join(dir, 'probe-fifo')]);
    unlinkSync(join(dir, 'probe-fifo'));
    return true;
  } catch {
    return false;
  }
}

describe('entries', () => {
  it('records files, directories and symlinks (never followed) with their metadata', async () => {
    const file = write('a.txt', 'hello world\n');
    mkdirSync(join(root, 'sub'));
    write('sub/inner.txt', 'inner');
    symlinkSync('sub', join(root, 'link-to-dir'));
    symlinkSync('/nonexistent/target', join(root, 'dangling'));
    chmodSync(file, 0o640);
    chmodSync(join(root, 'sub'), 0o750);

    const result = await scan(policy([target(root)]));

    expect(rel(result)).toEqual(['.', 'a.txt', 'dangling', 'link-to-dir', 'sub', 'sub/inner.txt']);
    const st = lstatSync(file);
    expect(entryOf(result, file)).toEqual({
      type: 'file',
      size: 12,
      mode: '0640',
      uid: st.uid,
      gid: st.gid,
      mtime: new Date(st.mtimeMs).toISOString(),
      ctime: new Date(st.ctimeMs).toISOString(),
      inode: st.ino,
      nlink: 1,
      hash: { algorithm: 'sha256', value: digest('sha256', 'hello world\n') },
    });
    const sub = entryOf(result, join(root, 'sub'));
    expect(sub.type).toBe('directory');
    expect(sub.mode).toBe('0750');
    expect(sub.hash).toBeUndefined();
    expect(sub.inode).toBe(lstatSync(join(root, 'sub')).ino);
    const link = entryOf(result, join(root, 'link-to-dir'));
    expect(link.type).toBe('symlink');
    expect(link.linkTarget).toBe('sub');
    expect(link.hash).toBeUndefined();
    expect(link.inode).toBe(lstatSync(join(root, 'link-to-dir')).ino);
    expect(entryOf(result, join(root, 'dangling')).linkTarget).toBe('/nonexistent/target');
    expect(entryOf(result, root).type).toBe('directory');
    expect(result.filesScanned).toBe(6);
    expect(result.filesHashed).toBe(2);
    expect(result.bytesHashed).toBe(12 + 5);
    expect(result.errors).toEqual([]);
    expect(result.policyId).toBe('pol-1');
  });

  it('formats times as ISO-8601 UTC with milliseconds', async () => {
    const file = write('t.txt');
    utimesSync(file, 1577934245, 1623053350.5); // exact in binary: 2021-06-07T08:09:10.500Z
    const result = await scan(policy([target(root)]));
    expect(entryOf(result, file).mtime).toBe('2021-06-07T08:09:10.500Z');
    expect(entryOf(result, file).ctime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('records special permission bits as four octal digits', async () => {
    const suid = write('suid');
    const sticky = join(root, 'sticky');
    mkdirSync(sticky);
    chmodSync(suid, 0o4755);
    chmodSync(sticky, 0o1777);
    const result = await scan(policy([target(root)]));
    expect(entryOf(result, suid).mode).toBe('4755');
    expect(entryOf(result, sticky).mode).toBe('1777');
  });

  it('records a FIFO as "other" without opening it', async (ctx) => {
    if (!hasMkfifo()) ctx.skip();
    const fifo = join(root, 'pipe');
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    const result = await scan(policy([target(root)]));
    const entry = entryOf(result, fifo);
    expect(entry.type).toBe('other');
    expect(entry.mode).toBe('0600');
    expect(entry.hash).toBeUndefined();
  });

  it.each<HashAlgorithm>(['sha256', 'sha512', 'sha1', 'md5'])('hashes content with %s', async (algorithm) => {
    const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const file = write('data.bin', content);
    const empty = write('empty', '');
    const result = await scan(policy([target(root)], { hashAlgorithm: algorithm }));
    expect(entryOf(result, file).hash).toEqual({ algorithm, value: digest(algorithm, content) });
    expect(entryOf(result, empty).hash).toEqual({ algorithm, value: digest(algorithm, '') });
  });

  it.each([1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 17])('streams a large file of %i bytes and hashes it right', async (size) => {
    const content = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) content.writeUInt32LE((i * 2654435761) >>> 0, Math.min(i, size - 4));
    const file = write('big.bin', content);
    const result = await scan(policy([target(root)]));
    expect(entryOf(result, file).hash?.value).toBe(digest('sha256', content));
    expect(entryOf(result, file).size).toBe(size);
    expect(result.bytesHashed).toBe(size);
  });

  it('hashes large files in worker threads, or in this thread, with the same result', async () => {
    const contents = [2 << 20, 3 << 20, (1 << 20) + 1, 100].map((size, i) => {
      const content = Buffer.alloc(size, i + 1);
      content.write(`file ${i}`);
      return content;
    });
    contents.forEach((content, i) => write(`d/f${i}`, content));
    const threaded = await scanPolicy(policy([target(root)], { id: 'threads' }), { cacheDir, full: false, hashThreads: 2 });
    const single = await scanPolicy(policy([target(root)], { id: 'single' }), { cacheDir, full: false, hashThreads: 0 });
    expect(threaded.entries).toEqual(single.entries);
    contents.forEach((content, i) => expect(entryOf(threaded, join(root, `d/f${i}`)).hash?.value).toBe(digest('sha256', content)));
    expect(threaded.filesHashed).toBe(4);
    expect(threaded.bytesHashed).toBe(contents.reduce((n, c) => n + c.length, 0));
    expect((await scanPolicy(policy([target(root)], { id: 'threads' }), { cacheDir, full: false, hashThreads: 2 })).filesHashed).toBe(0);
  });

  it('a file target records just the file; a missing target yields nothing', async () => {
    const file = write('only.txt');
    write('other.txt');
    const result = await scan(policy([target(file), target(join(root, 'missing')), target(join(root, 'nope', '*.conf'))]));
    expect(paths(result)).toEqual([file]);
    expect(result.errors).toEqual([]);
  });

  it('returns entries sorted by path in code-unit order, ready for buildTree', async () => {
    for (const name of ['b', 'a-c', 'a/b', 'A', 'a.x', 'a/a', 'Z/y', 'é']) write(name);
    const result = await scan(policy([target(root)]));
    const copy: PathEntry[] = result.entries.map((e) => [e[0], e[1]]);
    expect(paths(result)).toEqual(paths({ ...result, entries: sortEntries(copy) }));
    expect(buildTree(result.entries).entryCount).toBe(result.entries.length);
  });
});

describe('target scoping', () => {
  beforeEach(() => {
    write('app.conf');
    write('app.log');
    write('logs/x.log');
    write('logs/x.txt');
    write('cache/a/b.txt');
    write('src/cache/keep.txt');
    write('deep/er/est.conf');
  });

  it('exclude: name patterns at any depth, / patterns from the root; excluded dirs are skipped whole', async () => {
    const result = await scan(policy([target(root, { exclude: ['*.log', 'cache/**'] })]));
    expect(rel(result)).toEqual(['.', 'app.conf', 'deep', 'deep/er', 'deep/er/est.conf', 'logs', 'logs/x.txt', 'src', 'src/cache', 'src/cache/keep.txt']);
  });

  it('include: only matching entries are recorded, directories are still descended', async () => {
    const result = await scan(policy([target(root, { include: ['*.conf'] })]));
    expect(rel(result)).toEqual(['.', 'app.conf', 'deep/er/est.conf']);
  });

  it('recursive: false records the root and its direct children', async () => {
    const result = await scan(policy([target(root, { recursive: false })]));
    expect(rel(result)).toEqual(['.', 'app.conf', 'app.log', 'cache', 'deep', 'logs', 'src']);
  });

  it('wildcard roots: each match is a root, walked when recursive', async () => {
    const confs = await scan(policy([target(join(root, '*.conf'))]));
    expect(rel(confs)).toEqual(['app.conf']);
    const dirs = await scan(policy([target(join(root, '{logs,src}'))]));
    expect(rel(dirs)).toEqual(['logs', 'logs/x.log', 'logs/x.txt', 'src', 'src/cache', 'src/cache/keep.txt']);
    const flat = await scan(policy([target(join(root, '{logs,src}'), { recursive: false })]));
    expect(rel(flat)).toEqual(['logs', 'src']);
    const excluded = await scan(policy([target(join(root, '*'), { exclude: ['*.log', 'cache'] })]));
    expect(rel(excluded)).toEqual(['app.conf', 'deep', 'deep/er', 'deep/er/est.conf', 'logs', 'logs/x.txt', 'src']);
  });

  it('a path covered by two targets is recorded once, under the first', async () => {
    const result = await scan(policy([target(join(root, 'logs')), target(root, { exclude: ['cache'] }), target(join(root, '*.conf'))]));
    expect(rel(result)).toEqual(['.', 'app.conf', 'app.log', 'deep', 'deep/er', 'deep/er/est.conf', 'logs', 'logs/x.log', 'logs/x.txt', 'src']);
    expect(result.filesHashed).toBe(5);
  });

  it('a symlinked directory is recorded, never walked into', async () => {
    symlinkSync(join(root, 'logs'), join(root, 'logs-link'));
    const result = await scan(policy([target(root)]));
    expect(rel(result).filter((p) => p.startsWith('logs-link'))).toEqual(['logs-link']);
    const viaLink = await scan(policy([target(join(root, 'logs-link'))]));
    expect(viaLink.entries.map(([, e]) => e.type)).toEqual(['symlink']);
  });
});

describe('hash cache', () => {
  it('an unchanged rescan reuses every hash without reading a file', async () => {
    for (let i = 0; i < 20; i++) write(`d${i % 3}/f${i}.txt`, `content ${i}`);
    const p = policy([target(root)]);
    const first = await scan(p);
    expect(first.filesHashed).toBe(20);
    expect(first.full).toBe(true);
    const second = await scan(p);
    expect(second.filesHashed).toBe(0);
    expect(second.bytesHashed).toBe(0);
    expect(second.full).toBe(false);
    expect(second.entries).toEqual(first.entries);
  });

  it('an unchanged rescan asks getfattr nothing; a changed ctime asks again for that entry only', async () => {
    for (let i = 0; i < 20; i++) write(`d${i % 3}/f${i}.txt`, `content ${i}`);
    const p = policy([target(root)]);
    const first = await scan(p);
    expect(first.attributesRead).toBe(first.filesScanned);
    const second = await scan(p);
    if (first.unsupportedAttributes.length > 0) {
      // No getfattr here: nothing known to reuse, so every scan asks again (and says they are unsupported).
      expect(second.attributesRead).toBe(first.filesScanned);
      return;
    }
    expect(second.attributesRead).toBe(0);
    chmodSync(join(root, 'd1/f1.txt'), 0o600);
    expect((await scan(p)).attributesRead).toBe(1);
  });

  it('streams entries to a sink in path order, keeping none', async () => {
    for (let i = 0; i < 50; i++) write(`d${i % 7}/f${i}`, `x${i}`);
    const seen: string[] = [];
    const result = await scanPolicy(policy([target(root)]), { cacheDir, full: false, sink: ([path]) => seen.push(path) });
    expect(result.entries).toEqual([]);
    expect(seen).toHaveLength(result.filesScanned);
    expect(seen).toEqual([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('re-hashes files whose size, mtime, ctime or inode changed', async () => {
    const a = write('a.txt', 'aaaa');
    const b = write('b.txt', 'bbbb');
    write('c.txt', 'cccc');
    const p = policy([target(root)]);
    await scan(p);
    writeFileSync(a, 'aaaaa'); // size and mtime
    rmSync(b);
    writeFileSync(b, 'BBBB'); // new inode
    const second = await scan(p);
    expect(second.filesHashed).toBe(2);
    expect(entryOf(second, a).hash?.value).toBe(digest('sha256', 'aaaaa'));
    expect(entryOf(second, b).hash?.value).toBe(digest('sha256', 'BBBB'));
  });

  it('a same-size rewrite with mtime restored is still re-hashed: its ctime moved', async () => {
    const file = write('same.txt', 'original');
    utimesSync(file, 1600000000, 1600000000); // whole seconds: restorable exactly
    const p = policy([target(root)]);
    await scan(p);
    const before = statSync(file);
    await new Promise((resolve) => setTimeout(resolve, 20));
    writeFileSync(file, 'tampered');
    utimesSync(file, 1600000000, 1600000000);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect(statSync(file).size).toBe(before.size);
    const second = await scan(p);
    expect(second.filesHashed).toBe(1);
    expect(entryOf(second, file).hash?.value).toBe(digest('sha256', 'tampered'));
    expect(entryOf(second, file).mtime).toBe(new Date(before.mtimeMs).toISOString());
  });

  it('the fast path trusts matching metadata (a change it cannot see stays unseen); full: true re-hashes', async () => {
    // A content change that keeps size, mtime, ctime and inode (what the fast path cannot see) is
    // simulated by planting a wrong hash in the cache while the metadata still matches.
    const file = write('quiet.txt', 'real content');
    const p = policy([target(root)]);
    const first = await scan(p);
    const realHash = entryOf(first, file).hash!.value;
    const cacheFile = cacheFileName(cacheDir, p.id);
    const planted = 'f'.repeat(64);
    writeFileSync(cacheFile, readFileSync(cacheFile, 'utf8').replace(realHash, planted));

    const fast = await scan(p);
    expect(fast.filesHashed).toBe(0);
    expect(entryOf(fast, file).hash?.value).toBe(planted);

    const full = await scan(p, { full: true });
    expect(full.full).toBe(true);
    expect(full.filesHashed).toBe(1);
    expect(entryOf(full, file).hash?.value).toBe(realHash);
  });

  it('re-hashes everything on every Nth scan (fullRehashEvery)', async () => {
    for (let i = 0; i < 5; i++) write(`f${i}`);
    const p = policy([target(root)], { fullRehashEvery: 3 });
    const runs: [number, boolean][] = [];
    for (let i = 0; i < 7; i++) {
      const r = await scan(p);
      runs.push([r.filesHashed, r.full]);
    }
    expect(runs).toEqual([
      [5, true],
      [0, false],
      [0, false],
      [5, true],
      [0, false],
      [0, false],
      [5, true],
    ]);
  });

  it('fullRehashEvery: 1 re-hashes on every scan', async () => {
    write('f');
    const p = policy([target(root)], { fullRehashEvery: 1 });
    await scan(p);
    expect((await scan(p)).filesHashed).toBe(1);
  });

  it('a forced full scan restarts the periodic count', async () => {
    write('f');
    const p = policy([target(root)], { fullRehashEvery: 3 });
    await scan(p); // full (baseline)
    await scan(p); // 1 since full
    expect((await scan(p, { full: true })).filesHashed).toBe(1);
    expect((await scan(p)).filesHashed).toBe(0);
    expect((await scan(p)).filesHashed).toBe(0);
    expect((await scan(p)).filesHashed).toBe(1);
  });

  it('is invalidated when the hash algorithm changes', async () => {
    const file = write('f', 'x');
    await scan(policy([target(root)]));
    const md5 = await scan(policy([target(root)], { hashAlgorithm: 'md5' }));
    expect(md5.filesHashed).toBe(1);
    expect(entryOf(md5, file).hash).toEqual({ algorithm: 'md5', value: digest('md5', 'x') });
    expect((await scan(policy([target(root)], { hashAlgorithm: 'md5' }))).filesHashed).toBe(0);
  });

  it('is written by atomic rename when anything changed, with no temporary file left', async () => {
    write('f');
    const p = policy([target(root)]);
    await scan(p);
    const cacheFile = cacheFileName(cacheDir, p.id);
    const inode1 = statSync(cacheFile).ino;
    write('g');
    await scan(p);
    expect(statSync(cacheFile).ino).not.toBe(inode1);
    expect(readdirSync(cacheDir)).toEqual(['pol-1.cache']);
    const text = readFileSync(cacheFile, 'utf8');
    // Issue 11: format 2 (sorted, every entry: the root directory too, for its extended attributes).
    expect(text.startsWith('driftwatch-hash-cache 2\tsha256\t')).toBe(true);
    expect(text.endsWith('#end\t3\n')).toBe(true);
  });

  it('only counts an unchanged rescan in the header, in place, and the next changed scan rewrites it whole', async () => {
    for (const name of ['a', 'b', 'c']) write(name);
    const p = policy([target(root)]);
    await scan(p);
    const cacheFile = cacheFileName(cacheDir, p.id);
    const first = readFileSync(cacheFile, 'utf8');
    const inode1 = statSync(cacheFile).ino;
    expect((await scan(p)).filesHashed).toBe(0);
    const second = readFileSync(cacheFile, 'utf8');
    expect(statSync(cacheFile).ino).toBe(inode1);
    // The same records; only the fixed-width scans-since-full count moved on.
    expect(second.split('\n').slice(1)).toEqual(first.split('\n').slice(1));
    expect(second.split('\n')[0]).not.toBe(first.split('\n')[0]);
    expect(readdirSync(cacheDir)).toEqual(['pol-1.cache']);
    // A change after some records that matched: the held-back records are written too.
    writeFileSync(join(root, 'c'), 'changed');
    expect((await scan(p)).filesHashed).toBe(1);
    const third = readFileSync(cacheFile, 'utf8').split('\n');
    expect(statSync(cacheFile).ino).not.toBe(inode1);
    // Issue 11: format 2 records the root directory too (first), and a seventh field (extended attributes).
    const records = third.filter((line) => line.startsWith(`${root}/`));
    expect(records.map((line) => line.split('\t')[0])).toEqual(['a', 'b', 'c'].map((name) => join(root, name)));
    expect(records[2]!.split('\t')[5]).toBe(createHash('sha256').update('changed').digest('hex'));
    expect(third.at(-2)).toBe('#end\t4');
  });

  it('ignores a damaged cache file (re-hashes everything)', async () => {
    write('f1');
    write('f2');
    const p = policy([target(root)]);
    await scan(p);
    const cacheFile = cacheFileName(cacheDir, p.id);
    const text = readFileSync(cacheFile, 'utf8');
    writeFileSync(cacheFile, text.slice(0, text.lastIndexOf('#end'))); // truncated: no trailer
    expect((await scan(p)).filesHashed).toBe(2);
    writeFileSync(cacheFile, 'garbage');
    expect((await scan(p)).filesHashed).toBe(2);
    expect((await scan(p)).filesHashed).toBe(0);
  });

  it('keeps one cache per policy', async () => {
    write('f');
    await scan(policy([target(root)], { id: 'a' }));
    await scan(policy([target(root)], { id: 'b/c' }));
    expect(readdirSync(cacheDir).sort()).toEqual(['a.cache', 'b%2fc.cache']);
  });
});

describe('onlyPaths', () => {
  it('rescans only what lies at or below the given paths', async () => {
    const a = write('a/one.txt', '1');
    write('a/two.txt', '2');
    write('b/three.txt', '3');
    const p = policy([target(root, { exclude: ['*.tmp'] })]);
    await scan(p);
    writeFileSync(a, 'changed');
    const tmp = write('a/x.tmp');
    const only = await scan(p, { onlyPaths: [a, tmp, join(root, 'b'), join(dir, 'elsewhere')] });
    expect(rel(only)).toEqual(['a/one.txt', 'b', 'b/three.txt']);
    expect(only.filesHashed).toBe(1);
    expect(entryOf(only, a).hash?.value).toBe(digest('sha256', 'changed'));
    // the records outside the rescanned paths were kept in the cache
    const next = await scan(p);
    expect(next.filesHashed).toBe(0);
    expect(next.filesScanned).toBe(6);
  });

  it('a removed path yields no entry; a path below an excluded or symlinked dir yields nothing', async () => {
    const gone = write('gone.txt');
    write('skip/inner.txt');
    write('real/inner.txt');
    symlinkSync(join(root, 'real'), join(root, 'alias'));
    const p = policy([target(root, { exclude: ['skip/'] })]);
    await scan(p);
    rmSync(gone);
    const only = await scan(p, { onlyPaths: [gone, join(root, 'skip', 'inner.txt'), join(root, 'alias', 'inner.txt')] });
    expect(only.entries).toEqual([]);
    expect(only.errors).toEqual([]);
  });

  it('an ancestor of a target rescans the whole target; wildcard roots are respected', async () => {
    write('etc/a.conf');
    write('etc/b.txt');
    const p = policy([target(join(root, 'etc', '*.conf'))]);
    expect(rel(await scan(p, { onlyPaths: [root] }))).toEqual(['etc/a.conf']);
    expect(rel(await scan(p, { onlyPaths: [join(root, 'etc', 'b.txt')] }))).toEqual([]);
    expect(rel(await scan(p, { onlyPaths: [join(root, 'etc', 'a.conf')] }))).toEqual(['etc/a.conf']);
  });

  it('does not count towards the periodic full re-hash', async () => {
    const f = write('f');
    const p = policy([target(root)], { fullRehashEvery: 2 });
    await scan(p);
    await scan(p, { onlyPaths: [f] });
    await scan(p, { onlyPaths: [f] });
    expect((await scan(p)).filesHashed).toBe(0);
    expect((await scan(p)).filesHashed).toBe(1);
  });
});

describe('cpu usage levels', () => {
  it.each(['medium', 'low'] as const)('%s produces the same entries as high', async (cpuUsage) => {
    for (let i = 0; i < 30; i++) write(`d${i % 4}/f${i}`, `x${i}`);
    write('big', Buffer.alloc(3 << 20, 7));
    const high = await scan(policy([target(root)], { id: 'high' }));
    const throttled = await scan(policy([target(root)], { id: cpuUsage, cpuUsage }));
    expect(throttled.entries).toEqual(high.entries);
  });
});
