/**
 * Structured log lines of the local stack itself (the functions log through Powertools). One JSON object
 * per line on stderr, so stdout carries only what a user reads: where the credentials are, and the
 * "listening" line. Quiet by default: debug and info only when asked for.
 */
export type LocalLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LocalLog = (level: LocalLogLevel, message: string, fields?: Record<string, unknown>) => void;

export function createLocalLog(verbose: boolean): LocalLog {
  return (level, message, fields = {}) => {
    if (!verbose && (level === 'debug' || level === 'info')) return;
    const line: Record<string, unknown> = { level: level.toUpperCase(), timestamp: new Date().toISOString(), service: 'driftwatch-local', message };
    for (const [key, value] of Object.entries(fields)) line[key] = value instanceof Error ? describeError(value) : value;
    process.stderr.write(`${JSON.stringify(line)}\n`);
  };
}

function describeError(error: Error): Record<string, unknown> {
  return { name: error.name, message: error.message, stack: error.stack };
}
