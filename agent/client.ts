import { gzipSync } from 'node:zlib';
import { DEFAULT_BACKOFF, retry, type BackoffOptions, type RetryVerdict } from './backoff.ts';
import { log } from './log.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The agent's HTTP client for `/v1/agent/*`: JSON in and out, bearer auth, optional gzip bodies,
 * bounded retries. It sorts failures into the three outcomes the CLI's exit codes are made of:
 * UnreachableError (exit 3, spool), RejectedCredentialError (exit 4) and ApiError (a real answer).
 */

/** The API could not be reached (network, 5xx, 429) even after retries. */
export class UnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/** 401: the credential (or enrollment key) is not accepted, e.g. the server was deactivated. */
export class RejectedCredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedCredentialError';
  }
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** Any other answer the caller did not expect: a 4xx with a problem+json body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    method: string,
    path: string,
  ) {
    const p = (body ?? {}) as Problem;
    const detail = p.detail ?? p.title ?? (typeof body === 'string' ? body.slice(0, 200) : '');
    const fields = p.errors?.length ? ` (${p.errors.map((e) => `${e.path}: ${e.message}`).join('; ')})` : '';
    super(`${method} ${path} answered ${status}${detail ? `: ${detail}` : ''}${fields}`);
    this.name = 'ApiError';
  }
}

/** Counts request body bytes as they go over the wire (after compression, retries included). */
export interface ByteMeter {
  bytes: number;
}

export interface RequestOptions {
  body?: unknown;
  /** A body already serialised to JSON (sizes were computed on it). */
  json?: string;
  /** gzip the JSON body (`Content-Encoding: gzip`): node uploads. */
  gzip?: boolean;
  /** Statuses returned to the caller instead of thrown (2xx always are). */
  accept?: number[];
  meter?: ByteMeter;
  /** Bearer token for this request instead of the client's (enroll uses the enrollment key). */
  token?: string;
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** A 5xx/429 answer inside the retry loop. */
class RetryableStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function classify(error: unknown): RetryVerdict {
  if (error instanceof RetryableStatus) return { retry: true, afterMs: error.retryAfterMs };
  // fetch rejects with TypeError on network failures and with an AbortError/TimeoutError on timeouts.
  if (error instanceof TypeError || (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))) {
    return { retry: true };
  }
  return { retry: false };
}

function describe(error: unknown): string {
  if (error instanceof RetryableStatus) return error.message;
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

export class ApiClient {
  readonly apiUrl: string;

  constructor(
    apiUrl: string,
    private readonly token: string,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    this.apiUrl = apiUrl.replace(/\/+$/, '');
  }

  /** One API call with retries; see the error classes above for what it throws. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${opts.token ?? this.token}`,
      accept: 'application/json',
      'user-agent': `driftwatch-agent/${AGENT_VERSION} node/${process.versions.node}`,
    };
    let payload: Buffer | undefined;
    const bodyText = opts.json ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (bodyText !== undefined) {
      const json = Buffer.from(bodyText);
      headers['content-type'] = 'application/json';
      if (opts.gzip) {
        headers['content-encoding'] = 'gzip';
        // Level 9: node uploads are the bulk of a changed scan's bytes, and a few ms of CPU is cheap.
        payload = gzipSync(json, { level: 9 });
      } else payload = json;
    }
    const url = `${this.apiUrl}${path}`;
    try {
      return await retry(
        async (attempt) => {
          if (attempt > 0) log.debug(`retrying ${method} ${path} (attempt ${attempt + 1})`);
          if (opts.meter && payload) opts.meter.bytes += payload.length;
          log.debug(`${method} ${path} (${payload?.length ?? 0} bytes${opts.gzip ? ' gzip' : ''})`);
          const response = await fetch(url, {
            method,
            headers,
            body: payload,
            signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
          });
          const text = await response.text();
          if (response.status >= 500 || response.status === 429) {
            throw new RetryableStatus(response.status, retryAfterMs(response.headers.get('retry-after')));
          }
          let body: unknown = text;
          if (text && /json/.test(response.headers.get('content-type') ?? '')) {
            try {
              body = JSON.parse(text);
            } catch {
              // Leave the raw text for the error message.
            }
          }
          if (response.status === 401) {
            throw new RejectedCredentialError(`${method} ${path} answered 401: ${(body as Problem)?.detail ?? 'credential rejected'}`);
          }
          if ((response.status >= 200 && response.status < 300) || opts.accept?.includes(response.status)) {
            return { status: response.status, body: body as T };
          }
          throw new ApiError(response.status, body, method, path);
        },
        classify,
        this.backoff,
      );
    } catch (error) {
      if (classify(error).retry) {
        throw new UnreachableError(`API ${this.apiUrl} unreachable (${method} ${path}: ${describe(error)})`, { cause: error });
      }
      throw error;
    }
  }
}
