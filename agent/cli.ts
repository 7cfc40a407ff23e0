import { flagString, parseArgs, USAGE, UsageError, type ParsedArgs } from './args.ts';
import { ApiError, RejectedCredentialError, UnreachableError } from './client.ts';
import { enrollCommand } from './commands/enroll.ts';
import { runCommand } from './commands/run.ts';
import { scanCommand } from './commands/scan.ts';
import { statusCommand } from './commands/status.ts';
import { errorMessage, log } from './log.ts';
import { NotEnrolledError, resolveStateDir } from './state.ts';

/**
 * The agent's entry point: parse, dispatch, and turn what went wrong into the exit codes of
 * CONTRACT §3 (0 done, 2 bad usage, 3 API unreachable, 4 credential rejected; 1 anything else).
 */

export const EXIT = { ok: 0, error: 1, usage: 2, unreachable: 3, rejected: 4 } as const;

async function dispatch(args: ParsedArgs): Promise<number> {
  const stateDir = resolveStateDir(flagString(args, 'state-dir'));
  switch (args.command) {
    case 'enroll':
      return enrollCommand({
        api: flagString(args, 'api')!,
        key: flagString(args, 'key')!,
        tag: flagString(args, 'tag'),
        hostname: flagString(args, 'hostname'),
        stateDir,
      });
    case 'run':
      return runCommand(stateDir, args.flags.once === true);
    case 'scan':
      return scanCommand(stateDir, args.flags.full === true);
    case 'status':
      return statusCommand(stateDir);
  }
}

/** Runs the CLI with `argv` (without node and script); answers the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`driftwatch-agent: ${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if ('help' in args) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  try {
    return await dispatch(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`driftwatch-agent: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof NotEnrolledError) {
      log.error(error.message);
      return EXIT.usage;
    }
    if (error instanceof UnreachableError) {
      log.error(error.message);
      return EXIT.unreachable;
    }
    if (error instanceof RejectedCredentialError) {
      const hint = args.command === 'enroll' ? 'check the enrollment key (it may have been rotated)' : 'if this server was deactivated, enroll again to get a new credential';
      log.error(`${error.message.replace(/\.+$/, '')}; ${hint}`);
      return EXIT.rejected;
    }
    log.error(error instanceof ApiError ? error.message : errorMessage(error));
    return EXIT.error;
  }
}
