import { readFileSync } from 'node:fs';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalService } from './service.ts';

/**
 * One stack per data dir: LevelDB allows one opener, and dynalite crashes the process (`Database is
 * closed`) when a second one tries. A pid file turns that into a clear error; a stale one (its process
 * is gone, e.g. after kill -9) is taken over.
 */
export class DataDirLock implements LocalService {
  readonly name = 'data dir lock';
  private readonly file: string;
  private held = false;

  constructor(private readonly dataDir: string) {
    this.file = join(dataDir, 'driftwatch.pid');
  }

  async start(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(this.file, `${process.pid}\n`, { flag: 'wx' });
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const pid = Number((await readFile(this.file, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
          throw new Error(`${this.dataDir} is in use by another driftwatch (pid ${pid}); stop it first or use another DRIFTWATCH_DATA_DIR`);
        }
        await unlink(this.file).catch(() => undefined);
      }
    }
    throw new Error(`could not lock ${this.dataDir}`);
  }

  async stop(): Promise<void> {
    if (!this.held) return;
    if ((await readFile(this.file, 'utf8').catch(() => '')).trim() === String(process.pid)) await unlink(this.file).catch(() => undefined);
    this.held = false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A process killed with -9 whose parent died with it is a zombie until init reaps it: not a holder.
  const stat = readProcStat(pid);
  return !stat || !/^\d+ \(.*\) Z/.test(stat);
}

function readProcStat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}
