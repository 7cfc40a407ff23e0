import type { OrderedWindow, Slot } from './ordered-window.ts';
import type { FsPath } from './walk.ts';
import { XattrReader, XattrToolMissingError } from './xattrs.ts';

/**
 * Reads the extended attributes of the slots that need them through one XattrReader (xattrs.ts) while
 * the walk goes on: each slot waits until its answer is in. Once a read fails (the tools are missing),
 * nothing more is asked and `missing` says why: the scan then reports the attributes as unsupported
 * rather than as absent.
 */
export class XattrBatches {
  private readonly reader = new XattrReader();
  /** Slots asked about and not answered yet. */
  private outstanding = 0;
  private idle: (() => void) | null = null;
  /** Why the attributes could not be read (the tool is missing), or null. */
  missing: string | null = null;
  /**
   * What a released slot's own work threw (writing the hash cache or the tree: a full disk). It happens in the
   * reader's output handler, where a throw would crash the agent with a stack trace; finish() rethrows it into
   * the walk instead, which fails the scan with its message.
   */
  private failure: unknown;

  constructor(private readonly window: OrderedWindow) {}

  /** Whether attributes are still being read (the tools were not found missing). */
  get available(): boolean {
    return this.missing === null;
  }

  /** Asks for the attributes of `slot` (its path `path`); the slot waits until they are in. */
  add(slot: Slot, path: FsPath): void {
    if (!this.available) return;
    slot.waits += 1;
    this.outstanding += 1;
    this.reader.read(path, (attributes, error) => {
      if (error) {
        // Any failure (not only a missing tool) leaves the scan's attributes incomplete: the scan then
        // reports them unsupported, so the server compares none of them rather than some.
        this.missing ??= error instanceof XattrToolMissingError ? error.message : `getfattr failed: ${error.message}`;
      } else slot.ext = attributes;
      this.outstanding -= 1;
      try {
        this.window.done(slot);
      } catch (failure) {
        this.failure ??= failure;
      }
      if (this.outstanding === 0) this.idle?.();
    });
  }

  /** Makes sure everything asked so far gets answered (the last batch runs now rather than when full). */
  flush(): void {
    this.reader.flush();
  }

  /** Flushes and waits for every answer. */
  async finish(): Promise<void> {
    this.reader.flush();
    while (this.outstanding > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    if (this.failure !== undefined) throw this.failure;
  }
}
