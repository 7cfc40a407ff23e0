import * as crypto from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import type { HashAlgorithm } from '../../functions/contract/entry.ts';
import type { Throttle } from './throttle.ts';

/**
 * Content hashing of one regular file, synchronous for speed (promise fs costs more than the work for
 * small files). The file is opened without following a symlink and without blocking (so a FIFO swapped
 * in after lstat cannot hang the scan), then fstat'ed: the metadata recorded with a hash is that of the
 * very file that was read. Files up to one buffer (1 MiB) are read and hashed in one go; larger ones are
 * streamed through the same buffer, pausing between chunks when the CPU throttle says so.
 */

export const HASH_BUFFER_BYTES = 1 << 20;

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

type OneShot = (algorithm: string, data: Uint8Array) => string;
const cryptoHash = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;
/** `crypto.hash` (Node >= 20.12) skips the Hash object for one-shot digests; older Node falls back. */
const oneShot: OneShot = cryptoHash
  ? (algorithm, data) => cryptoHash(algorithm, data, 'hex')
  : (algorithm, data) => crypto.createHash(algorithm).update(data).digest('hex');

export interface FileHash {
  /** Lowercase hex digest. */
  value: string;
  /** Bytes read. */
  bytes: number;
  /** fstat of the file that was read. */
  stats: Stats;
}

export class NotRegularFileError extends Error {
  constructor(path: string | Buffer) {
    super(`${String(path)} is no longer a regular file`);
    this.name = 'NotRegularFileError';
  }
}

/** Fills `buffer` from `fd` until it is full or the file ends; returns the byte count. */
function fill(fd: number, buffer: Buffer): number {
  let offset = 0;
  while (offset < buffer.length) {
    const n = readSync(fd, buffer, offset, buffer.length - offset, null);
    if (n === 0) break;
    offset += n;
  }
  return offset;
}

/**
 * A hasher owns its read buffer (one per scan, so concurrent scans never share one). Every read into it
 * is hashed before the next `await`, so files hashed while a large one waits for the throttle can
 * share it.
 */
export class FileHasher {
  private readonly buffer: Buffer;

  constructor(
    readonly algorithm: HashAlgorithm,
    private readonly throttle?: Throttle,
    bufferBytes = HASH_BUFFER_BYTES,
  ) {
    this.buffer = Buffer.allocUnsafe(bufferBytes);
  }

  /**
   * Hashes the file at `path`. Synchronous (returns the result) for files that fit the buffer, a
   * promise for larger ones. Throws (or rejects) when the file vanished, is unreadable, or is no
   * longer a regular file.
   */
  hash(path: string | Buffer): FileHash | Promise<FileHash> {
    const fd = openSync(path, OPEN_FLAGS);
    let handedOver = false;
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw new NotRegularFileError(path);
      const first = fill(fd, this.buffer);
      if (first < this.buffer.length) {
        return { value: oneShot(this.algorithm, this.buffer.subarray(0, first)), bytes: first, stats };
      }
      const hash = crypto.createHash(this.algorithm);
      hash.update(this.buffer);
      handedOver = true;
      return this.streamRest(fd, hash, first, stats);
    } finally {
      if (!handedOver) closeSync(fd);
    }
  }

  private async streamRest(fd: number, hash: crypto.Hash, bytesSoFar: number, stats: Stats): Promise<FileHash> {
    let bytes = bytesSoFar;
    const buffer = this.buffer;
    try {
      for (;;) {
        if (this.throttle?.due()) await this.throttle.pause();
        // Fill and update with no await in between: other files hashed during the pause may reuse the buffer.
        const n = fill(fd, buffer);
        if (n === 0) break;
        hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
        bytes += n;
        if (n < buffer.length) break;
      }
    } finally {
      closeSync(fd);
    }
    return { value: hash.digest('hex'), bytes, stats };
  }
}
