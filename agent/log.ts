/**
 * Diagnostics go to stderr, one line each (journald adds the time); stdout carries only the
 * command's JSON result so scripts can parse it. DRIFTWATCH_LOG=debug shows protocol details.
 */

const debugOn = (process.env.DRIFTWATCH_LOG ?? '').toLowerCase() === 'debug';

function write(level: string, message: string): void {
  process.stderr.write(`driftwatch-agent ${level}: ${message}\n`);
}

export const log = {
  debug: (message: string): void => {
    if (debugOn) write('debug', message);
  },
  info: (message: string): void => write('info', message),
  warn: (message: string): void => write('warn', message),
  error: (message: string): void => write('error', message),
};

export type Log = typeof log;

/** Message of anything thrown, without a stack (stacks only with DRIFTWATCH_LOG=debug). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return debugOn && error.stack ? error.stack : error.message;
  return String(error);
}
