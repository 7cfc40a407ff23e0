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

/** `--version` asked: print the agent's version and exit 0. */
export interface VersionRequest {
  version: true;
}

export class UsageError extends Error {
  /** `command`: the command whose usage was wrong, when known (its usage line is shown). */
  constructor(
    message: string,
    readonly command?: Command,
  ) {
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

const isCommand = (s: string): s is Command => Object.hasOwn(COMMANDS, s);

/**
 * Parses `argv` (without node and script) into a command and its flags.
 * Accepts `--flag value` and `--flag=value`; rejects unknown, repeated or valueless flags.
 * @example parseArgs(['enroll', '--api', 'http://x', '--key', 'k']).flags.api === 'http://x'
 */
export function parseArgs(argv: readonly string[]): ParsedArgs | HelpRequest | VersionRequest {
  if (argv.length === 0) throw new UsageError('missing command');
  const [first, ...rest] = argv as [string, ...string[]];
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    return topic !== undefined && isCommand(topic) ? { help: true, command: topic } : { help: true };
  }
  if (first === '--version' || first === '-V' || first === 'version') return { version: true };
  if (!isCommand(first)) throw new UsageError(`unknown command: ${first}${didYouMean(first, Object.keys(COMMANDS))}`);
  const specs = COMMANDS[first];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h') return { help: true, command: first };
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument: ${arg}`, first);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(`unknown flag for ${first}: --${name}${didYouMean(name, Object.keys(specs), '--')}`, first);
    if (Object.hasOwn(flags, name)) throw new UsageError(`--${name} given twice`, first);
    if (!spec.value) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`, first);
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
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`, first);
    flags[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && !Object.hasOwn(flags, name)) throw new UsageError(`${first} needs --${name}`, first);
  }
  return { command: first, flags };
}

/** Edit distance (Levenshtein) of two short words. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** ` (did you mean scan?)` for a near miss (at most 2 edits), else ''. */
function didYouMean(word: string, candidates: string[], prefix = ''): string {
  const best = candidates.map((c) => ({ c, d: distance(word, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 && best.d < word.length ? ` (did you mean ${prefix}${best.c}?)` : '';
}

/** Reads a string flag that the spec declares as taking a value. */
export function flagString(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === 'string' ? value : undefined;
}
