/**
 * What the local stack tells the person running it, one human line each: what happened (a scan
 * ingested, a mail sent) on stdout, what went wrong on stderr. The functions themselves log through
 * Powertools (structured JSON; POWERTOOLS_LOG_LEVEL). Levels, quietest first: `silent`, `error`,
 * `warn` (library default: tests and the bench), `info` (`npm start`'s default), `debug` (adds one line
 * per HTTP request and per worker batch, and the stack's own plumbing).
 */
export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LocalLogLevel = Exclude<LogLevel, 'silent'>;
export type LocalLog = (level: LocalLogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface LogSinks {
  out: (line: string) => void;
  err: (line: string) => void;
}

const processSinks: LogSinks = {
  out: (line) => process.stdout.write(line),
  err: (line) => process.stderr.write(line),
};

/** A log that prints lines at `level` and quieter, e.g. `12:00:01 scan scn_1 ingested` or `12:00:02 warn: ...`. */
export function createLocalLog(level: LogLevel, sinks: LogSinks = processSinks): LocalLog {
  const threshold = LOG_LEVELS.indexOf(level);
  return (lineLevel, message, fields = {}) => {
    if (LOG_LEVELS.indexOf(lineLevel) > threshold) return;
    const time = new Date().toISOString().slice(11, 19);
    const prefix = lineLevel === 'info' ? '' : `${lineLevel}: `;
    const details = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${describe(value)}`)
      .join(' ');
    const line = `${time} ${prefix}${message}${details ? ` (${details})` : ''}\n`;
    (lineLevel === 'warn' || lineLevel === 'error' ? sinks.err : sinks.out)(line);
  };
}

/** Reads DRIFTWATCH_LOG: a level name, or 1/true/yes for debug (as before levels existed). */
export function logLevelFromEnv(raw: string | undefined, fallback: LogLevel): LogLevel {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '') return fallback;
  if (/^(1|true|yes)$/.test(value)) return 'debug';
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new Error(`DRIFTWATCH_LOG must be one of ${LOG_LEVELS.join(', ')}, not "${raw}"`);
}

function describe(value: unknown): string {
  if (value instanceof Error) return describe(value.message);
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}
