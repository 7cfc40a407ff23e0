import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A stand-in for the Lambda runtime, for the bundle tests: each function's bundle runs in its own Node
 * process, with only the environment the stack gives that function, and talks to DynamoDB and SQS through a
 * proxy of its own that records every operation it sends. So a bundle that reads a secret it was not given,
 * or sends a command or a message its declaration does not name, is seen doing it, over the wire.
 */

/** The runtime's side: imports the bundle once (a cold start), then answers one invocation per message. */
const RUNTIME_SOURCE = `
const { handler } = await import(process.env.DRIFTWATCH_BUNDLE);
process.on('message', async ({ id, event, context }) => {
  const deadline = Date.now() + context.timeoutSeconds * 1000;
  const ctx = { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()), done() {}, fail() {}, succeed() {} };
  try {
    const result = await handler(event, ctx);
    process.send({ id, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ id, error: String(error && error.stack || error) });
  }
});
process.send({ ready: true });
`;

/** One operation a function sent: the service's `X-Amz-Target` operation and, for SQS, the queue URL. */
export interface RecordedCall {
  service: 'dynamodb' | 'sqs';
  operation: string;
  queueUrl?: string;
}

/** A recording HTTP proxy in front of one local endpoint (JSON protocols: the operation is a header). */
export async function startRecordingProxy(service: RecordedCall['service'], target: string, calls: RecordedCall[]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const call: RecordedCall = { service, operation };
      if (service === 'sqs') {
        try {
          call.queueUrl = JSON.parse(body.toString('utf8')).QueueUrl;
        } catch {
          // Not JSON: recorded without a queue.
        }
      }
      calls.push(call);
      const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface LambdaProcess {
  name: string;
  /** Every DynamoDB and SQS operation this function sent. */
  calls: RecordedCall[];
  /** Invocations so far, with their events' kinds. */
  invocations: number;
  invoke<T = unknown>(event: unknown, timeoutSeconds?: number): Promise<T>;
  stop(): Promise<void>;
}

export interface LambdaProcessOptions {
  name: string;
  bundle: string;
  /** The function's environment as the stack sets it (resolved to local values). */
  environment: Record<string, string>;
  endpoints: { dynamodb: string; sqs: string };
  /** Where the runtime script is written. */
  workDir: string;
}

/** Starts one function's process (cold start included) with the runtime's own variables and recording endpoints. */
export async function startLambdaProcess(opts: LambdaProcessOptions): Promise<LambdaProcess> {
  const runtime = join(opts.workDir, 'lambda-runtime.mjs');
  writeFileSync(runtime, RUNTIME_SOURCE);
  const calls: RecordedCall[] = [];
  const dynamo = await startRecordingProxy('dynamodb', opts.endpoints.dynamodb, calls);
  const sqs = await startRecordingProxy('sqs', opts.endpoints.sqs, calls);
  const child: ChildProcess = fork(runtime, [], {
    execArgv: ['--enable-source-maps'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...opts.environment,
      // What the Lambda runtime sets, and the local endpoints in place of AWS's.
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_LAMBDA_FUNCTION_NAME: `Driftwatch-${opts.name}`,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      DRIFTWATCH_BUNDLE: opts.bundle,
    },
  });
  const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${opts.name}: the bundle's process exited (${code}) before it was ready`)));
    child.on('message', (m: { ready?: boolean; id?: string; result?: unknown; error?: string }) => {
      if (m.ready) return resolve();
      const waiter = pending.get(m.id!);
      pending.delete(m.id!);
      if (m.error !== undefined) waiter?.reject(new Error(`${opts.name}: ${m.error}`));
      else waiter?.resolve(m.result);
    });
  });
  child.on('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${opts.name}: the bundle's process exited`));
    pending.clear();
  });
  await ready;

  const fn: LambdaProcess = {
    name: opts.name,
    calls,
    invocations: 0,
    invoke: <T>(event: unknown, timeoutSeconds = 60) => {
      fn.invocations++;
      const id = randomUUID();
      const context = {
        callbackWaitsForEmptyEventLoop: true,
        functionName: `Driftwatch-${opts.name}`,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:Driftwatch-${opts.name}`,
        memoryLimitInMB: '512',
        awsRequestId: id,
        logGroupName: `/aws/lambda/Driftwatch-${opts.name}`,
        logStreamName: 'local',
        timeoutSeconds,
      };
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, event, context });
      });
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill();
        await exited;
      }
      await dynamo.close();
      await sqs.close();
    },
  };
  return fn;
}
