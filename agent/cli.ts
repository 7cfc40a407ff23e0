import { flagString, parseArgs, UsageError, type ParsedArgs } from './args.ts';
import { helpText, usageErrorText } from './cli-help.ts';
import { ApiError, NoApiError, RejectedCredentialError, UnreachableError } from './errors.ts';
import { enrollCommand } from './commands/enroll.ts';
import { runCommand } from './commands/run.ts';
import { scanCommand } from './commands/scan.ts';
import { statusCommand } from './commands/status.ts';
import { errorMessage, log } from './log.ts';
import { NotEnrolledError, resolveStateDir } from './state.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The agent's entry point: parse, dispatch, and turn what went wrong into the exit codes of
 * CONTRACT §3 (0 done, 2 bad usage, 3 API unreachable, 4 credential rejected; 1 anything else), with
 * one line on stderr that names the cause and what to check (cli-help.ts lists them for --help).
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

const withoutFullStop = (message: string): string => message.replace(/\.+$/, '');

/** The line for a rejected credential: what to check depends on which credential it was. */
function rejectedLine(error: RejectedCredentialError, command: ParsedArgs['command']): string {
  // After enrollment the API's own detail already says why (e.g. the server was deactivated).
  const hint = command === 'enroll' ? 'check --key (the enrollment key may have been rotated)' : 'enroll again to get a new credential';
  return `${withoutFullStop(error.message)}; ${hint}`;
}

/** The line for an API that could not be reached; enroll's address is a flag, so it says to check it. */
function unreachableLine(error: UnreachableError, command: ParsedArgs['command']): string {
  // NoApiError already says where the address came from.
  if (command !== 'enroll' || error instanceof NoApiError) return error.message;
  return `${error.message}: check --api and that the API is up`;
}

/** Runs the CLI with `argv` (without node and script); answers the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(usageErrorText(error.message, error.command));
    return EXIT.usage;
  }
  if ('help' in args) {
    process.stdout.write(helpText(args.command));
    return EXIT.ok;
  }
  if ('version' in args) {
    process.stdout.write(`driftwatch-agent ${AGENT_VERSION} (node ${process.versions.node})\n`);
    return EXIT.ok;
  }
  try {
    return await dispatch(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(usageErrorText(error.message, error.command ?? args.command));
      return EXIT.usage;
    }
    if (error instanceof NotEnrolledError) {
      log.error(error.message);
      return EXIT.usage;
    }
    if (error instanceof UnreachableError) {
      log.error(unreachableLine(error, args.command));
      return EXIT.unreachable;
    }
    if (error instanceof RejectedCredentialError) {
      log.error(rejectedLine(error, args.command));
      return EXIT.rejected;
    }
    log.error(error instanceof ApiError ? error.message : errorMessage(error));
    return EXIT.error;
  }
}
