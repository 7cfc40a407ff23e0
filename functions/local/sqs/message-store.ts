import { ClassicLevel } from 'classic-level';
import type { QueueRecord, StoredMessage } from './sqs-queue.ts';

/** One change to the persisted queue state. */
export type StoreOp =
  | { type: 'put-queue'; queue: QueueRecord }
  | { type: 'del-queue'; name: string }
  | { type: 'put-message'; queue: string; message: StoredMessage }
  | { type: 'del-message'; queue: string; seq: number };

const queueKey = (name: string) => `q!${name}`;
// The sequence number in the key keeps a queue's messages in send order when they are read back.
const messageKey = (queue: string, seq: number) => `m!${queue}!${seq.toString(16).padStart(12, '0')}`;

/**
 * The local queue server's state on disk: queues and their messages in a LevelDB (classic-level, the
 * store dynalite itself runs on) under the data dir. Every write is handed to the operating system
 * before its promise resolves, so whatever the server acknowledged survives a kill -9 of the process
 * (not a power cut: that would need fsync on every write, which the local stack does not pay for).
 * Writes are applied strictly in the order they were asked for (a delete can never be overtaken by an
 * older put of the same message), grouped into one LevelDB batch while the previous one is written.
 */
export class MessageStore {
  private pending: Array<{ ops: StoreOp[]; done: () => void; fail: (error: unknown) => void }> = [];
  private writing: Promise<void> | undefined;

  private constructor(private readonly db: ClassicLevel<string, string>) {}

  /** Opens (or creates) the store in `dir`; one process at a time (LevelDB's lock). */
  static async open(dir: string): Promise<MessageStore> {
    const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8' });
    await db.open();
    return new MessageStore(db);
  }

  /** Everything stored: the queues and, per queue name, its messages in send order. */
  async load(): Promise<{ queues: QueueRecord[]; messages: Map<string, StoredMessage[]> }> {
    const queues: QueueRecord[] = [];
    for await (const value of this.db.values({ gte: 'q!', lt: 'q~' })) queues.push(JSON.parse(value) as QueueRecord);
    const messages = new Map<string, StoredMessage[]>();
    for await (const [key, value] of this.db.iterator({ gte: 'm!', lt: 'm~' })) {
      const queue = key.slice(2, key.lastIndexOf('!'));
      let list = messages.get(queue);
      if (!list) messages.set(queue, (list = []));
      list.push(JSON.parse(value) as StoredMessage);
    }
    return { queues, messages };
  }

  /** Persists `ops` after every write asked for before; resolves once the operating system has them. */
  write(ops: StoreOp[]): Promise<void> {
    if (ops.length === 0) return this.writing ?? Promise.resolve();
    return new Promise((done, fail) => {
      this.pending.push({ ops, done, fail });
      this.writing ??= this.flush();
    });
  }

  async close(): Promise<void> {
    await this.writing;
    await this.db.close();
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      try {
        await this.db.batch(group.flatMap((g) => g.ops.map(toBatchOp)));
        for (const g of group) g.done();
      } catch (error) {
        for (const g of group) g.fail(error);
      }
    }
    this.writing = undefined;
  }
}

function toBatchOp(op: StoreOp): { type: 'put'; key: string; value: string } | { type: 'del'; key: string } {
  switch (op.type) {
    case 'put-queue':
      return { type: 'put', key: queueKey(op.queue.name), value: JSON.stringify(op.queue) };
    case 'del-queue':
      return { type: 'del', key: queueKey(op.name) };
    case 'put-message':
      return { type: 'put', key: messageKey(op.queue, op.message.seq), value: JSON.stringify(op.message) };
    case 'del-message':
      return { type: 'del', key: messageKey(op.queue, op.seq) };
  }
}
