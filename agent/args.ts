/**
 * Command-line parsing for the agent (CONTRACT §3). Strict on purpose: an unknown command or flag is
 * a usage error (exit 2), so a typo in a systemd unit fails loudly instead of running with defaults.
 */

export type Command = 'enroll' | 'run' | 'scan' | 'status';

export interface ParsedArgs {
  command: Command;
  /** Flag values by name without dashes; boolean flags are `true` when given. */
  flags: Record<string, string | true>;
}

/** `--help` asked: print usage and exit 0. */
export interface HelpRequest {
  help: true;
  command?: Command;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface FlagSpec {
  /** Takes a value (`--api URL`) or is a switch (`--once`). */
  value: boolean;
  required?: boolean;
}

const STATE_DIR: FlagSpec = { value: true };

const COMMANDS: Record<Command, Record<string, FlagSpec>> = {
  enroll: {
    api: { value: true, required: true },
    key: { value: true, required: true },
    tag: { value: true },
    hostname: { value: true },
    'state-dir': STATE_DIR,
  },
  run: { once: { value: false }, 'state-dir': STATE_DIR },
  scan: { full: { value: false }, 'state-dir': STATE_DIR },
  status: { 'state-dir': STATE_DIR },
};

export const USAGE = `usage: driftwatch-agent <command> [flags]

commands:
  enroll --api URL --key ENROLLMENT_KEY [--tag T] [--hostname H] [--state-dir D]
      register this host; keeps its credential in the state dir (mode 0600)
  run [--once] [--state-dir D]
      poll the API for config and pending scans, run them, upload; watch real-time policies.
      --once: do all pending work, upload, exit
  scan [--full] [--state-dir D]
      scan now, upload, print a JSON summary (--full: re-hash every file)
  status [--state-dir D]
      print JSON: server id, API, last scan, spooled uploads, watching

state dir: --state-dir, else $DRIFTWATCH_STATE_DIR, else /var/lib/driftwatch
exit codes: 0 done, 2 bad usage, 3 API unreachable (results spooled), 4 credential rejected
`;

const isCommand = (s: string): s is Command => Object.hasOwn(COMMANDS, s);

/**
 * Parses `argv` (without node and script) into a command and its flags.
 * Accepts `--flag value` and `--flag=value`; rejects unknown, repeated or valueless flags.
 * @example parseArgs(['enroll', '--api', 'http://x', '--key', 'k']).flags.api === 'http://x'
 */
export function parseArgs(argv: readonly string[]): ParsedArgs | HelpRequest {
  if (argv.length === 0) throw new UsageError('missing command');
  const [first, ...rest] = argv as [string, ...string[]];
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    return topic !== undefined && isCommand(topic) ? { help: true, command: topic } : { help: true };
  }
  if (!isCommand(first)) throw new UsageError(`unknown command: ${first}`);
  const specs = COMMANDS[first];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h') return { help: true, command: first };
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(`unknown flag for ${first}: --${name}`);
    if (Object.hasOwn(flags, name)) throw new UsageError(`--${name} given twice`);
    if (!spec.value) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = rest[i + 1];
      // A following flag is not a value: `--api --key k` is a missing --api value, not api="--key".
      if (value !== undefined && value.startsWith('--')) value = undefined;
      else i++;
    }
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    flags[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && !Object.hasOwn(flags, name)) throw new UsageError(`${first} needs --${name}`);
  }
  return { command: first, flags };
}

/** Reads a string flag that the spec declares as taking a value. */
export function flagString(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === 'string' ? value : undefined;
}
