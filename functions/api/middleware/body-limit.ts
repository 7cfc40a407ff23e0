import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../../shared/problem.ts';

/** Documented request body limits (bytes, as sent on the wire). */
export const BODY_LIMITS = {
  json: 256 * 1024,
  imports: 1024 * 1024,
  /** Compressed agent node uploads; the agent keeps each request near 1 MiB before compression. */
  agentNodes: 5 * 1024 * 1024,
} as const;

export const limitBody = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new PayloadTooLargeError(maxSize);
    },
  });
