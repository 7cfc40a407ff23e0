import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolvedVerdict, urlVerdict, type DestinationPolicy } from '../domain/destination-url.ts';
import { DestinationRefusedError, guardedLookup, systemResolver, type Resolver } from './destination-guard.ts';

/** What came back from one POST: the status, and a Retry-After in seconds when the receiver sent one. */
export interface PostOutcome {
  status: number;
  statusText: string;
  retryAfterSeconds?: number;
}

/** A delivery that got no HTTP answer: refused by the policy, timed out, or the connection failed. */
export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** At most this much of an answer is read (and never kept): receivers acknowledge with a status. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface PostOptions {
  timeoutMs: number;
  policy: DestinationPolicy;
  resolve?: Resolver;
}

/**
 * POSTs `body` to a sync destination: the URL checked by the policy and its name resolved and checked inside
 * the connection (`guardedLookup`), no redirects followed (a 3xx is an answer like any other), no connection
 * kept, at most `timeoutMs` for the whole exchange, at most 64 KiB of the answer read.
 */
export function postWebhook(raw: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostOutcome> {
  const parsed = urlVerdict(raw, options.policy);
  if (!parsed.ok) return Promise.reject(new DeliveryError(`refused: ${parsed.reason}`));
  const url = parsed.url!;
  if (parsed.literal) {
    // An address in the URL is connected to without a lookup: check it here.
    const verdict = resolvedVerdict(url, [parsed.literal], options.policy);
    if (!verdict.ok) return Promise.reject(new DeliveryError(`refused: ${verdict.reason}`));
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, outcome?: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(outcome!);
    };
    const req = send(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(url, options.policy, options.resolve ?? systemResolver) as never,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Driftwatch-Webhook/1', ...headers },
      },
      (res) => {
        const outcome: PostOutcome = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '' };
        const retryAfter = Number(res.headers['retry-after']);
        if (Number.isFinite(retryAfter) && retryAfter >= 0) outcome.retryAfterSeconds = retryAfter;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) {
            res.destroy();
            finish(null, outcome);
          }
        });
        res.on('end', () => finish(null, outcome));
        res.on('close', () => finish(null, outcome));
        res.on('error', () => finish(null, outcome));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new DeliveryError(`timed out after ${Math.round(options.timeoutMs / 100) / 10} s`));
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const refused = error instanceof DestinationRefusedError || error.code === 'EDESTREFUSED';
      finish(new DeliveryError(refused ? `refused: ${(error as DestinationRefusedError).reason}` : `connection failed (${error.code ?? error.message})`));
    });
    req.end(body);
  });
}

