import { main } from './cli.ts';

/**
 * Process entry (the bundle's and the launcher's): run the CLI, then exit with its code even if
 * watchers or timers are still open. stdout/stderr writes to pipes and files are synchronous on
 * Linux, so nothing printed is lost by exiting.
 */
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`driftwatch-agent error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
