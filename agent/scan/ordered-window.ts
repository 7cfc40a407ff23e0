import type { Entry } from '../../functions/contract/entry.ts';
import type { StatFields } from './entry.ts';
import type { DirHandle } from './walk.ts';
import type { ExtendedAttributes } from './xattrs.ts';

/**
 * Keeps a scan's entries in walk (path) order while the slow parts of some of them finish out of order:
 * a large file hashed by a worker thread, a batch of paths whose extended attributes a getfattr
 * process is reading. Each walked entry takes a slot; a slot leaves, in order, once nothing is pending
 * on it. Bounded: the producer waits (`whenRoom`) while `limit` slots are in the window.
 */

export interface Slot {
  path: string;
  /** The entry, once known (a pooled hash creates it when done); null when it turned out to be gone. */
  entry: Entry | null;
  /** Things still pending on this slot (a hash, an xattr read). */
  waits: number;
  ext?: ExtendedAttributes;
  /** Its attributes were read by this scan (else: reused from the cache as `extCached`, or not read). */
  extRead?: boolean;
  extCached?: string;
  /** The metadata its hash cache record is keyed by (the fstat of what was hashed); none: not cached. */
  meta?: StatFields;
  handle?: DirHandle;
}

export class OrderedWindow {
  private slots: Slot[] = [];
  private head = 0;
  private wake: (() => void) | null = null;

  constructor(
    /** Receives each finished slot, in order. */
    private readonly release: (slot: Slot) => void,
    readonly limit = 2048,
  ) {}

  get size(): number {
    return this.slots.length - this.head;
  }

  /** Every slot in the window (for an abort: release their handles). */
  get pending(): readonly Slot[] {
    return this.slots.slice(this.head);
  }

  add(slot: Slot): void {
    this.slots.push(slot);
    this.flush();
  }

  /** One thing pending on `slot` is done. */
  done(slot: Slot): void {
    slot.waits -= 1;
    this.flush();
  }

  /** Hands out every slot at the head that has nothing pending. */
  flush(): void {
    while (this.head < this.slots.length && this.slots[this.head]!.waits === 0) {
      const slot = this.slots[this.head]!;
      this.slots[this.head++] = undefined as unknown as Slot;
      this.release(slot);
    }
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    if (this.wake && this.size < this.limit) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
  }

  /** Resolves once the window has room (at once when it has). */
  whenRoom(): Promise<void> {
    if (this.size < this.limit) return Promise.resolve();
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Resolves once the window is empty. */
  async drained(): Promise<void> {
    while (this.size > 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.flush();
    }
  }
}
