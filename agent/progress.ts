import type { AgentPolicy } from '../functions/contract/agent.schemas.ts';
import { log } from './log.ts';
import type { ScanProgress } from './scan/scan-policy.ts';
import { readTreeMeta } from './tree-file.ts';
import { treeFileName } from './tree-memory.ts';

/**
 * Progress of a long scan on stderr (stdout keeps the command's JSON): on a terminal one line redrawn
 * in place (entries, files and bytes hashed, rate, ETA); otherwise (a service, a pipe) one log line
 * every LOG_EVERY_MS, so a short scan prints nothing. The ETA compares with the entries of the trees
 * the server last accepted, when there are any.
 */

export interface Progress {
  /** Where the walk of `policyId` stands (a policy's figures replace its earlier ones). */
  update(policyId: string, progress: ScanProgress): void;
  /** The walk ended: clears the terminal line. */
  finish(): void;
}

const LOG_EVERY_MS = 10_000;

const count = (n: number) => n.toLocaleString('en-US');
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const clock = (seconds: number) => {
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600 ? `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** One progress line from the totals so far. */
export function progressLine(done: ScanProgress, elapsedMs: number, expected: number | null): string {
  const seconds = Math.max(elapsedMs / 1000, 0.001);
  const rate = done.entries / seconds;
  const share = expected && expected > 0 ? Math.min(done.entries / expected, 0.99) : null;
  const eta = share !== null && rate > 0 ? `, ETA ${clock((expected! - done.entries) / rate)}` : '';
  return (
    `scanning: ${count(done.entries)} entries${share !== null ? ` (${Math.floor(share * 100)}%)` : ''}, ` +
    `${count(done.filesHashed)} files / ${megabytes(done.bytesHashed)} hashed, ${count(Math.round(rate))} entries/s, ${megabytes(done.bytesHashed / seconds)}/s${eta}`
  );
}

/** A progress display writing to `stream` (a terminal: redrawn in place; else log lines). */
export function progressDisplay(expected: number | null, stream: NodeJS.WriteStream = process.stderr, now = () => performance.now()): Progress {
  const started = now();
  const byPolicy = new Map<string, ScanProgress>();
  const tty = stream.isTTY === true;
  let nextLog = started + LOG_EVERY_MS;
  let drawn = false;
  const totals = (): ScanProgress => {
    const sum = { entries: 0, filesHashed: 0, bytesHashed: 0 };
    for (const p of byPolicy.values()) {
      sum.entries += p.entries;
      sum.filesHashed += p.filesHashed;
      sum.bytesHashed += p.bytesHashed;
    }
    return sum;
  };
  return {
    update(policyId, progress) {
      byPolicy.set(policyId, progress);
      const t = now();
      if (tty) {
        stream.write(`\r\x1b[K${progressLine(totals(), t - started, expected)}`);
        drawn = true;
      } else if (t >= nextLog) {
        nextLog = t + LOG_EVERY_MS;
        log.info(progressLine(totals(), t - started, expected));
      }
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

/** The progress display for a scan of `policies`, its ETA from the entries of their remembered trees. */
export function scanProgress(stateDir: string, policies: readonly AgentPolicy[]): Progress {
  let expected = 0;
  for (const policy of policies) {
    if (policy.state === 'off') continue;
    const meta = readTreeMeta(treeFileName(stateDir, policy.id));
    if (!meta) return progressDisplay(null);
    expected += meta.entryCount;
  }
  return progressDisplay(expected);
}
