import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { ServiceUnavailableError } from '../../shared/problem.ts';

/** How long a client should wait before retrying a request that met a throttled or failing AWS service. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/**
 * A ServiceUnavailableError when `error` is an AWS SDK error that retrying later can fix (throttling, a
 * transient or 5xx answer, a connection that failed), as the SDK's own retry strategy classifies them: its
 * retries are spent by the time the error reaches the API, so the client is told to come back.
 */
export function awsUnavailable(error: Error): ServiceUnavailableError | undefined {
  if (!('$metadata' in error)) return undefined;
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  if (isThrottlingError(sdkError)) return new ServiceUnavailableError('The service is over its capacity right now; retry after the time in Retry-After.', UNAVAILABLE_RETRY_AFTER_SECONDS);
  if (isTransientError(sdkError) || isServerError(sdkError)) return new ServiceUnavailableError('A service we depend on is failing right now; retry after the time in Retry-After.', UNAVAILABLE_RETRY_AFTER_SECONDS);
  return undefined;
}
