import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileHasher, NotRegularFileError } from './hash.ts';
import { Throttle } from './throttle.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-hash-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('FileHasher', () => {
  it('hashes a small file synchronously and reports its fstat', () => {
    const path = join(dir, 'f');
    writeFileSync(path, 'abc');
    const result = new FileHasher('sha1').hash(path);
    expect(result).not.toBeInstanceOf(Promise);
    const { value, bytes, stats } = result as Exclude<typeof result, Promise<unknown>>;
    expect(value).toBe(createHash('sha1').update('abc').digest('hex'));
    expect(bytes).toBe(3);
    expect(stats.size).toBe(3);
  });

  it('streams files larger than its buffer (promise), pausing with the throttle', async () => {
    const path = join(dir, 'big');
    const content = Buffer.alloc(10_000 + 3, 1);
    content.write('tail', 10_000 - 1);
    writeFileSync(path, content);
    let pauses = 0;
    const throttle = new Throttle('low', { sliceMs: 0, sleep: async () => void pauses++ });
    const pending = new FileHasher('sha512', throttle, 4096).hash(path);
    expect(pending).toBeInstanceOf(Promise);
    const result = await pending;
    expect(result.value).toBe(createHash('sha512').update(content).digest('hex'));
    expect(result.bytes).toBe(content.length);
    expect(pauses).toBeGreaterThan(0);
  });

  it('keeps streams apart when other files are hashed while one waits for the throttle', async () => {
    const files = ['a', 'b', 'c'].map((name, i) => {
      const content = Buffer.alloc(i === 1 ? 100 : 20_000, name.charCodeAt(0));
      writeFileSync(join(dir, name), content);
      return { path: join(dir, name), content };
    });
    const throttle = new Throttle('low', { sliceMs: 0, sleep: () => new Promise((resolve) => setTimeout(resolve, 1)) });
    const hasher = new FileHasher('sha256', throttle, 4096);
    const results = await Promise.all(files.map((f) => hasher.hash(f.path)));
    results.forEach((r, i) => expect(r.value).toBe(createHash('sha256').update(files[i]!.content).digest('hex')));
  });

  it('hashes a file of exactly one buffer (the empty read that follows ends it)', async () => {
    const path = join(dir, 'exact');
    const content = Buffer.alloc(4096, 9);
    writeFileSync(path, content);
    const result = await new FileHasher('md5', undefined, 4096).hash(path);
    expect(result.value).toBe(createHash('md5').update(content).digest('hex'));
  });

  it('throws for a missing file and refuses to follow a symlink', () => {
    const hasher = new FileHasher('sha256');
    expect(() => hasher.hash(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    writeFileSync(join(dir, 'real'), 'x');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(() => hasher.hash(join(dir, 'link'))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });

  it('refuses (without blocking) a FIFO found where a file was', (ctx) => {
    const fifo = join(dir, 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      ctx.skip();
    }
    expect(() => new FileHasher('sha256').hash(fifo)).toThrow(NotRegularFileError);
  });
});
