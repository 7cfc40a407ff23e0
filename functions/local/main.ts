import { join, resolve } from 'node:path';
import { logLevelFromEnv } from './local-log.ts';
import { PortInUseError, startStack, type LocalStack } from './stack.ts';

/**
 * `npm start`: the whole backend on this machine (see the README's "Run it locally").
 * PORT (default 8080; 0 picks a free port), DRIFTWATCH_DATA_DIR (default ./.driftwatch),
 * DRIFTWATCH_LOG (info by default: a line per scan ingested and per mail sent; debug adds a line per
 * HTTP request and per worker batch; warn, error or silent for less), DRIFTWATCH_LOCAL_VISIBILITY_TIMEOUT
 * (seconds, default 3) for how soon a failed queue message is delivered again.
 */
function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 8080;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer from 0 to 65535, not "${raw}"`);
  return port;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function handleSignals(stack: LocalStack): void {
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt) {
      // Ctrl-C reaches npm, tsx and us at once: repeats within a second are the same request.
      if (Date.now() - firstSignalAt < 1000) return;
      fail(`${signal} again: exiting without a clean stop (queued messages are kept in ${stack.dataDir})`);
    }
    firstSignalAt = Date.now();
    stack.stop().then(
      () => {
        process.stdout.write(`driftwatch stopped; its data (table, queued messages, mail, credentials) is kept in ${stack.dataDir}\n`);
        process.exit(0);
      },
      (error: unknown) => fail(`driftwatch did not stop cleanly: ${(error as Error).message ?? error}`),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT);
  const dataDir = resolve(process.env.DRIFTWATCH_DATA_DIR?.trim() || '.driftwatch');
  const logLevel = logLevelFromEnv(process.env.DRIFTWATCH_LOG, 'info');
  let stack: LocalStack;
  try {
    stack = await startStack({ port, dataDir, logLevel });
  } catch (error) {
    if (error instanceof PortInUseError) fail(error.message);
    throw error;
  }
  handleSignals(stack);
  process.stdout.write(`credentials (operator key, tenant admin key, enrollment key): ${join(stack.dataDir, 'credentials.json')}\n`);
  process.stdout.write(`driftwatch listening on ${stack.apiUrl}\n`);
}

main().catch((error: unknown) => {
  const debug = /^(debug|1|true|yes)$/i.test(process.env.DRIFTWATCH_LOG ?? '');
  fail(`driftwatch failed to start: ${error instanceof Error ? (debug ? error.stack : error.message) : String(error)}`);
});
