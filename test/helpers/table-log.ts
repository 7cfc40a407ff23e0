import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Watches the writes to the local table from outside the `npm start` process, in the order they happen.
 * dynalite keeps the table in LevelDB under `<dataDir>/dynamodb`, and LevelDB appends every write to its
 * write-ahead log (`NNNNNN.log`) before it answers, with a plain write(2): another process reads it at
 * once, and still can while the stack is frozen with SIGSTOP (when its DynamoDB endpoint cannot answer).
 * That is what lets a test stop the stack between two writes of its choosing.
 *
 * Formats read here (stable for years): LevelDB's log of 32 KiB blocks of records (7-byte header: crc32c,
 * length, type FULL/FIRST/MIDDLE/LAST), each logical record a WriteBatch (8-byte sequence, 4-byte count,
 * then per entry a tag, a varint32-prefixed key and, for a put, value); dynalite's item keys
 * `item-<table>~<hash>/<hex pk>/<hex sk>/` with the item's DynamoDB JSON as value.
 */
export interface TableWrite {
  op: 'put' | 'delete';
  pk: string;
  sk: string;
  /** The item written (unmarshalled), for a put. */
  item?: Record<string, any>;
}

const BLOCK = 32 * 1024;
const HEADER = 7;
enum RecordType {
  Zero = 0,
  Full = 1,
  First = 2,
  Middle = 3,
  Last = 4,
}

interface LogFile {
  fd: number;
  /** Offset of the first byte not yet parsed into a complete logical record. */
  offset: number;
}

export class TableWriteLog {
  private readonly files = new Map<string, LogFile>();
  private readonly itemPrefix: string;

  /** Starts after every write already in the log: `read()` answers only what comes later. */
  constructor(
    private readonly dir: string,
    tableName = 'driftwatch',
  ) {
    this.itemPrefix = `item-${tableName}~`;
    this.read();
  }

  /** The item writes appended since the last call (open files are kept, so a log LevelDB retires is still read to its end). */
  read(): TableWrite[] {
    const writes: TableWrite[] = [];
    const names = existsSync(this.dir) ? readdirSync(this.dir).filter((n) => /^\d+\.log$/.test(n)).sort() : [];
    for (const name of names) if (!this.files.has(name)) this.files.set(name, { fd: openSync(join(this.dir, name), 'r'), offset: 0 });
    for (const file of [...this.files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, f]) => f)) {
      for (const batch of this.records(file)) writes.push(...this.writesOf(batch));
    }
    return writes;
  }

  close(): void {
    for (const file of this.files.values()) closeSync(file.fd);
    this.files.clear();
  }

  /** Complete logical records from `file.offset` on; a record still being written is left for the next read. */
  private records(file: LogFile): Buffer[] {
    const size = fstatSync(file.fd).size;
    if (size <= file.offset) return [];
    const base = file.offset;
    const bytes = Buffer.alloc(size - base);
    readSync(file.fd, bytes, 0, bytes.length, base);
    const out: Buffer[] = [];
    let pos = base;
    let fragments: Buffer[] = [];
    for (;;) {
      const left = BLOCK - (pos % BLOCK);
      if (left < HEADER) {
        pos += left; // block trailer
        continue;
      }
      if (pos + HEADER > size) break;
      const at = pos - base;
      const length = bytes.readUInt16LE(at + 4);
      const type = bytes[at + 6] as RecordType;
      if (type === RecordType.Zero && length === 0) {
        pos += left; // zero padding to the end of the block
        continue;
      }
      if (pos + HEADER + length > size) break;
      const payload = bytes.subarray(at + HEADER, at + HEADER + length);
      pos += HEADER + length;
      if (type === RecordType.Full) {
        out.push(payload);
        file.offset = pos;
      } else if (type === RecordType.First) {
        fragments = [payload];
      } else if (type === RecordType.Middle) {
        fragments.push(payload);
      } else if (type === RecordType.Last) {
        out.push(Buffer.concat([...fragments, payload]));
        fragments = [];
        file.offset = pos;
      } else {
        throw new Error(`unexpected LevelDB log record type ${type} at ${pos}`);
      }
    }
    return out;
  }

  private writesOf(batch: Buffer): TableWrite[] {
    const writes: TableWrite[] = [];
    const count = batch.readUInt32LE(8);
    let pos = 12;
    const varint = () => {
      let value = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = batch[pos++]!;
        value |= (byte & 0x7f) << shift;
        if (byte < 0x80) return value >>> 0;
      }
    };
    for (let i = 0; i < count; i++) {
      const tag = batch[pos++];
      const keyLength = varint();
      const key = batch.toString('utf8', pos, pos + keyLength);
      pos += keyLength;
      let value: string | undefined;
      if (tag === 1) {
        const valueLength = varint();
        value = batch.toString('utf8', pos, pos + valueLength);
        pos += valueLength;
      }
      if (!key.startsWith(this.itemPrefix)) continue;
      const [, pkHex, skHex] = key.slice(this.itemPrefix.length).split('/');
      const write: TableWrite = { op: tag === 1 ? 'put' : 'delete', pk: Buffer.from(pkHex!, 'hex').toString('utf8'), sk: Buffer.from(skHex!, 'hex').toString('utf8') };
      if (value !== undefined) write.item = unmarshall(JSON.parse(value));
      writes.push(write);
    }
    return writes;
  }
}
