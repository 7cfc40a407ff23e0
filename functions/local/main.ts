import { join, resolve } from 'node:path';
import { startStack, type LocalStack } from './stack.ts';

/**
 * `npm start`: the whole backend on this machine (see CONTRACT.md, Local stack).
 * PORT (default 8080; 0 picks a free port), DRIFTWATCH_DATA_DIR (default ./.driftwatch),
 * DRIFTWATCH_LOG=1 for the stack's debug lines on stderr, DRIFTWATCH_LOCAL_VISIBILITY_TIMEOUT (seconds,
 * default 3) for how soon a failed queue message is delivered again.
 */
function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 8080;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer from 0 to 65535, not "${raw}"`);
  return port;
}

function fail(message: string, error: unknown): never {
  const detail = error instanceof Error ? { error: error.message, stack: error.stack } : { error: String(error) };
  process.stderr.write(`${JSON.stringify({ level: 'ERROR', timestamp: new Date().toISOString(), service: 'driftwatch-local', message, ...detail })}\n`);
  process.exit(1);
}

function handleSignals(stack: LocalStack): void {
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt) {
      // Ctrl-C reaches npm, tsx and us at once: repeats within a second are the same request.
      if (Date.now() - firstSignalAt < 1000) return;
      process.stderr.write(`${JSON.stringify({ level: 'WARN', service: 'driftwatch-local', message: `${signal} again: exiting without a clean stop` })}\n`);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    stack.stop().then(
      () => process.exit(0),
      (error) => fail('stop failed', error),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT);
  const dataDir = resolve(process.env.DRIFTWATCH_DATA_DIR?.trim() || '.driftwatch');
  const log = /^(1|true|yes|debug|info)$/i.test(process.env.DRIFTWATCH_LOG ?? '');
  const stack = await startStack({ port, dataDir, log });
  handleSignals(stack);
  process.stdout.write(`credentials (operator key, tenant admin key, enrollment key): ${join(stack.dataDir, 'credentials.json')}\n`);
  process.stdout.write(`driftwatch listening on ${stack.apiUrl}\n`);
}

main().catch((error) => fail('driftwatch failed to start', error));
