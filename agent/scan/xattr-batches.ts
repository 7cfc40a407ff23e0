import type { OrderedWindow, Slot } from './ordered-window.ts';
import type { FsPath } from './walk.ts';
import { readExtendedAttributes, XattrToolMissingError, type ExtendedAttributes } from './xattrs.ts';

/**
 * Gathers the slots whose extended attributes must be read into batches of `size` paths, one getfattr
 * run each (xattrs.ts), at most `parallel` at a time, while the walk goes on. Once a run fails (the tools
 * are missing), nothing more is asked and `missing` says why: the scan then reports the attributes as
 * unsupported rather than as absent.
 */
export class XattrBatches {
  private batch: { slot: Slot; path: FsPath }[] = [];
  private running = new Set<Promise<void>>();
  /** Why the attributes could not be read (the tool is missing), or null. */
  missing: string | null = null;

  constructor(
    private readonly window: OrderedWindow,
    private readonly read: (paths: readonly FsPath[]) => Promise<(ExtendedAttributes | undefined)[]> = readExtendedAttributes,
    readonly size = 512,
    readonly parallel = 2,
  ) {}

  /** Whether attributes are still being read (the tools were not found missing). */
  get available(): boolean {
    return this.missing === null;
  }

  /** Queues `slot` (its path `path`); its slot waits until the attributes are in. */
  async add(slot: Slot, path: FsPath): Promise<void> {
    if (!this.available) return;
    slot.waits += 1;
    this.batch.push({ slot, path });
    if (this.batch.length >= this.size) await this.flush();
  }

  /** Starts reading what is queued (waiting first while `parallel` runs are under way). */
  async flush(): Promise<void> {
    while (this.running.size >= this.parallel) await Promise.race(this.running);
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    const run: Promise<void> = this.read(batch.map((b) => b.path))
      .then(
        (found) => batch.forEach((b, i) => (b.slot.ext = found[i])),
        (error: unknown) => {
          // Any failure (not only a missing tool) leaves the scan's attributes incomplete: the scan then
          // reports them unsupported, so the server compares none of them rather than some.
          this.missing ??= error instanceof XattrToolMissingError ? error.message : `getfattr failed: ${(error as Error).message}`;
        },
      )
      .finally(() => {
        this.running.delete(run);
        for (const b of batch) this.window.done(b.slot);
      });
    this.running.add(run);
  }

  /** Reads what is still queued and waits for every run. */
  async finish(): Promise<void> {
    await this.flush();
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
