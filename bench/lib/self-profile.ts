import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * CPU profile of the bench process itself (which also hosts the local stack), through the inspector:
 * segments are written as separate .cpuprofile files, so the API under load gets a file of its own.
 */
export class SelfProfiler {
  private session = new Session();
  private current: string | null = null;
  private counter = 0;
  readonly files: Record<string, string[]> = {};

  constructor(private readonly dir: string) {
    this.session.connect();
  }

  async start(segment: string): Promise<void> {
    if (this.current) await this.stop();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 500 });
    await this.session.post('Profiler.start');
    this.current = segment;
  }

  async stop(): Promise<string | undefined> {
    if (!this.current) return undefined;
    const { profile } = await this.session.post('Profiler.stop');
    const file = join(this.dir, `${this.current}-${++this.counter}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    (this.files[this.current] ??= []).push(file);
    this.current = null;
    return file;
  }

  /** Runs `fn` in a segment of its own, then resumes `resume`. */
  async segment<T>(name: string, resume: string, fn: () => Promise<T>): Promise<T> {
    await this.start(name);
    try {
      return await fn();
    } finally {
      await this.stop();
      await this.start(resume);
    }
  }

  async close(): Promise<void> {
    await this.stop();
    this.session.disconnect();
  }
}
