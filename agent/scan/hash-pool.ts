import { Worker } from 'node:worker_threads';
import type { HashAlgorithm } from '../../functions/contract/entry.ts';
import type { StatFields } from './entry.ts';

/**
 * Worker threads that hash large files while the main thread keeps walking (and hashing the small
 * files itself, where a message round trip would cost more than the hash). Used at cpuUsage "high"
 * only. The worker source is an inline string, so the agent stays one bundled file.
 * Measured on the 2,000 x 50 KB-5 MB tree with 2 cores: see README.md.
 */

/** What a worker reports about the file it hashed: its fstat, so the entry matches the bytes read. */
export interface PooledHash {
  value: string;
  bytes: number;
  stats: StatFields;
}

/** The file could not be hashed (vanished, unreadable, no longer a regular file). */
export class FileHashError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'FileHashError';
  }
}

/** The worker itself failed: the caller should hash the file another way. */
export class WorkerFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailure';
  }
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const c = fs.constants;
const FLAGS = c.O_RDONLY | (c.O_NOFOLLOW || 0) | (c.O_NONBLOCK || 0);
const buffer = Buffer.allocUnsafe(1 << 20);
parentPort.on('message', (job) => {
  let fd;
  try {
    fd = fs.openSync(job.path, FLAGS);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(job.path + ' is no longer a regular file'), { code: 'ENOTFILE' });
    const hash = crypto.createHash(job.algorithm);
    let bytes = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      bytes += n;
    }
    parentPort.postMessage({
      id: job.id,
      value: hash.digest('hex'),
      bytes,
      stats: { size: st.size, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, nlink: st.nlink },
    });
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String((error && error.message) || error), code: error && error.code });
  } finally {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
  }
});
`;

interface Job {
  resolve: (result: PooledHash) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

type WorkerReply = (PooledHash & { id: number; error?: undefined }) | { id: number; error: string; code?: string };

export class HashPool {
  private slots: Slot[] = [];
  private nextId = 0;
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(
    readonly threads: number,
    /** Jobs queued per thread before `submit` callers should wait (`whenReady`). */
    private readonly depth = 2,
  ) {}

  /** Whether another job may be submitted without waiting. */
  get ready(): boolean {
    return this.inFlight < this.threads * this.depth;
  }

  /** Resolves once `ready` (a job finished). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Hashes the file at `path` (a string, or the bytes of a name that is not valid UTF-8). */
  hash(path: string | Buffer, algorithm: HashAlgorithm): Promise<PooledHash> {
    const slot = this.pick();
    const id = this.nextId++;
    this.inFlight += 1;
    return new Promise<PooledHash>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      slot.worker.postMessage({ id, path, algorithm });
    }).finally(() => {
      this.inFlight -= 1;
      this.waiters.shift()?.();
    });
  }

  /** Stops the threads; jobs still running fail with WorkerFailure. */
  async close(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    for (const slot of slots) this.failAll(slot, new WorkerFailure('hash pool closed'));
  }

  private pick(): Slot {
    if (this.slots.length < this.threads) {
      const slot = this.spawn();
      this.slots.push(slot);
      return slot;
    }
    let best = this.slots[0]!;
    for (const slot of this.slots) if (slot.jobs.size < best.jobs.size) best = slot;
    return best;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const slot: Slot = { worker, jobs: new Map() };
    worker.on('message', (reply: WorkerReply) => {
      const job = slot.jobs.get(reply.id);
      if (!job) return;
      slot.jobs.delete(reply.id);
      if (reply.error !== undefined) job.reject(new FileHashError(reply.error, reply.code));
      else job.resolve({ value: reply.value, bytes: reply.bytes, stats: reply.stats });
    });
    const die = (error: Error) => {
      this.slots = this.slots.filter((s) => s !== slot);
      this.failAll(slot, new WorkerFailure(`hash worker failed: ${error.message}`));
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`exited with code ${code}`)));
    return slot;
  }

  private failAll(slot: Slot, error: Error): void {
    for (const job of slot.jobs.values()) job.reject(error);
    slot.jobs.clear();
  }
}
