import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileHashError, HashPool, WorkerFailure } from './hash-pool.ts';

let dir: string;
let pool: HashPool;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-pool-'));
  pool = new HashPool(2, 1);
});
afterEach(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HashPool', () => {
  it('hashes files in worker threads and reports the fstat of what it read', async () => {
    const files = [0, 1, 5000, (1 << 20) + 3, 3 << 20].map((size, i) => {
      const path = join(dir, `f${i}`);
      const content = Buffer.alloc(size, i + 1);
      writeFileSync(path, content);
      return { path, content };
    });
    const results = await Promise.all(files.map((f) => pool.hash(f.path, 'sha512')));
    results.forEach((result, i) => {
      const { path, content } = files[i]!;
      expect(result.value).toBe(createHash('sha512').update(content).digest('hex'));
      expect(result.bytes).toBe(content.length);
      const st = lstatSync(path);
      expect(result.stats).toEqual({ size: st.size, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, nlink: st.nlink });
    });
  });

  it('applies back-pressure: ready turns false at threads x depth jobs in flight', async () => {
    const path = join(dir, 'f');
    writeFileSync(path, 'x');
    expect(pool.ready).toBe(true);
    const jobs = [pool.hash(path, 'md5'), pool.hash(path, 'md5')];
    expect(pool.ready).toBe(false);
    await pool.whenReady();
    expect(pool.ready).toBe(true);
    await Promise.all(jobs);
  });

  it('rejects with FileHashError for a missing file, a symlink, a FIFO', async () => {
    await expect(pool.hash(join(dir, 'missing'), 'sha256')).rejects.toMatchObject({ name: 'FileHashError', code: 'ENOENT' });
    writeFileSync(join(dir, 'real'), 'x');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    await expect(pool.hash(join(dir, 'link'), 'sha256')).rejects.toBeInstanceOf(FileHashError);
    let fifo = true;
    try {
      execFileSync('mkfifo', [join(dir, 'fifo')]);
    } catch {
      fifo = false;
    }
    if (fifo) await expect(pool.hash(join(dir, 'fifo'), 'sha256')).rejects.toMatchObject({ code: 'ENOTFILE' });
  });

  it('fails running jobs with WorkerFailure when closed', async () => {
    const path = join(dir, 'big');
    writeFileSync(path, Buffer.alloc(32 << 20));
    const job = pool.hash(path, 'sha256');
    await pool.close();
    await expect(job).rejects.toBeInstanceOf(WorkerFailure);
  });
});
