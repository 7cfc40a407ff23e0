import type { Command } from './args.ts';

/**
 * What the CLI says about itself: `--help` (all of it, or one command's), and the short answer to a
 * usage error, which names the one line that matters and where to read more rather than repeating
 * the whole usage.
 */

const BIN = 'driftwatch-agent';

/** One line per command: what `--help` lists and what a usage error of that command shows. */
export const COMMAND_LINES: Record<Command, string> = {
  enroll: `${BIN} enroll --api URL --key ENROLLMENT_KEY [--tag T] [--hostname H] [--state-dir D]`,
  run: `${BIN} run [--once] [--state-dir D]`,
  scan: `${BIN} scan [--full] [--state-dir D]`,
  status: `${BIN} status [--state-dir D]`,
};

const COMMAND_HELP: Record<Command, string> = {
  enroll: `register this host; keeps its credential in the state dir (mode 0600); prints {"serverId"}
  --api URL        the API's address, e.g. https://driftwatch.example.com (without /v1)
  --key KEY        the tenant's enrollment key (GET /v1/enrollment-key)
  --tag T          join the server group whose tag is T (else the group Unassigned)
  --hostname H     the name the server is listed under (default: this host's name)`,
  run: `poll the API for config and pending scans, run them, upload; watch real-time policies
  --once           do all pending work, upload, exit`,
  scan: `scan now, upload, print a JSON summary {scanId, filesScanned, added, modified, removed, renamed, bytesUploaded}
  --full           re-hash every file instead of trusting the cache`,
  status: 'print JSON from the state dir alone: server id, API, last scan, spooled uploads, watching',
};

/** Every exit code, as `--help` lists them (docs/agent.md has the same table). */
export const EXIT_CODE_HELP = `exit codes:
  0  done
  1  failed: the scan failed, or the API refused a request (stderr says why)
  2  bad usage, or not enrolled
  3  API unreachable, or no Driftwatch API at its address: scan results are spooled and sent by the next run
  4  credential rejected: wrong or rotated enrollment key, or this server was deactivated (enroll again)
`;

const COMMON = `state dir: --state-dir D, else $DRIFTWATCH_STATE_DIR, else /var/lib/driftwatch
diagnostics go to stderr (DRIFTWATCH_LOG=debug for protocol details); stdout carries only the JSON result
`;

const ALL: Command[] = ['enroll', 'run', 'scan', 'status'];

/** `--help` (every command) or `<command> --help` (that one). */
export function helpText(command?: Command): string {
  const commands = command ? [command] : ALL;
  const head = command ? '' : `usage: ${BIN} <command> [flags]   (${BIN} --version: the agent's version)\n\n`;
  const body = commands.map((c) => `${COMMAND_LINES[c]}\n  ${COMMAND_HELP[c]}\n`).join('\n');
  return `${head}${body}\n${COMMON}${EXIT_CODE_HELP}`;
}

/** The answer to a usage error: the error, the usage line of its command, and where to read more. */
export function usageErrorText(message: string, command?: Command): string {
  const line = command ? COMMAND_LINES[command] : `${BIN} <${ALL.join('|')}> [flags]`;
  const more = command ? `${BIN} ${command} --help` : `${BIN} --help`;
  return `${BIN}: ${message}\nusage: ${line}\nmore: ${more}\n`;
}
