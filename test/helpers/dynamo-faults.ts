import { getDb } from '../../functions/shared/clients.ts';

/**
 * Faults of DynamoDB itself, injected into the client the product uses (the test stack runs in the test's
 * process and shares it) as an AWS SDK middleware: no code path in the product knows about them.
 */
export interface DynamoFault {
  /** Which requests fail: by the command's name and the request's JSON body as it would go on the wire. */
  matches: (commandName: string, body: string) => boolean;
  /** The error thrown instead of sending the request. */
  error: () => Error;
}

/** What DynamoDB answers when a table or an index is over its throughput: the SDK knows it as retryable. */
export function throttlingError(): Error {
  return Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** An internal error of the service (HTTP 500), as DynamoDB answers now and then. */
export function internalServerError(): Error {
  return Object.assign(new Error('Internal server error'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
}

/** A plain failure the SDK does not retry. */
export function poisonError(): Error {
  return Object.assign(new Error('injected failure'), { name: 'InjectedFailure', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** Requests that name `tenantId` anywhere (every key of a tenant starts with its id). */
export const ofTenant =
  (tenantId: string) =>
  (_command: string, body: string): boolean =>
    body.includes(tenantId);

/** Every request. */
export const everyRequest = (): boolean => true;

/**
 * Makes the requests `fault` matches fail until `stop()`, counting them. The error is thrown after the
 * SDK's retry middleware (finalizeRequest, low priority), so the client's own retries (maxAttempts) meet
 * every failure as they would from the service.
 * @example const fault = injectDynamoFault({ matches: ofTenant(t), error: throttlingError }); ...; fault.stop();
 */
export function injectDynamoFault(fault: DynamoFault): { failed: () => number; stop: () => void } {
  const { doc } = getDb();
  const name = `dynamoFaultForTest${Math.random()}`;
  let failed = 0;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const body = (args as { request?: { body?: unknown } }).request?.body;
      const text = body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : String(body ?? '');
      if (fault.matches(String(context.commandName), text)) {
        failed++;
        throw fault.error();
      }
      return next(args);
    },
    { step: 'finalizeRequest', name, priority: 'low' },
  );
  return { failed: () => failed, stop: () => void doc.middlewareStack.remove(name) };
}
