import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions as HttpRequestOptions } from 'node:http';
import { gzipSync } from 'node:zlib';
import { DEFAULT_BACKOFF, retry, type BackoffOptions, type RetryVerdict } from './backoff.ts';
import { ApiError, isTlsFailure, networkReason, NoApiError, noApiMessage, notTheApi, RejectedCredentialError, UnreachableError, type Problem } from './errors.ts';
import { log } from './log.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The agent's HTTP client for `/v1/agent/*`: JSON in and out, bearer auth, optional gzip bodies,
 * bounded retries. It sorts failures into the outcomes the CLI's exit codes are made of (errors.ts):
 * UnreachableError (exit 3, spool; NoApiError when what answered is not the API), RejectedCredentialError
 * (exit 4) and ApiError (a real answer).
 * Built on node:http(s) with keep-alive rather than fetch: loading fetch (undici) costs ~30 ms of CPU
 * at the first request, on the critical path of every short-lived `scan`.
 */

export { ApiError, NoApiError, RejectedCredentialError, UnreachableError, type Problem } from './errors.ts';

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

/** The request failed on the way (connection refused or reset, DNS, TLS): `cause` has the details. */
class NetworkError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/** No complete answer within the request's time limit. */
class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
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
  // A TLS failure (wrong scheme, untrusted certificate) is the same at every try.
  if (error instanceof NetworkError && isTlsFailure(error)) return { retry: false };
  // TypeError: a URL that does not parse (as fetch did, it counts as unreachable).
  if (error instanceof NetworkError || error instanceof TimeoutError || error instanceof TypeError) return { retry: true };
  return { retry: false };
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface Transport {
  request(url: URL, options: HttpRequestOptions, onResponse: (res: IncomingMessage) => void): ClientRequest;
  agent: HttpAgent;
}

// Keep-alive, as fetch does: the requests of one scan share a connection. An idle connection is closed
// after 4 s (fetch's default too), before a server would drop it under a request.
const KEEP_ALIVE = { keepAlive: true, timeout: 4000 };
const plain: Transport = { request: httpRequest, agent: new HttpAgent(KEEP_ALIVE) };
let secure: Promise<Transport> | undefined;
/** node:https (TLS) is loaded on first use only: a plain-HTTP agent does not pay for it. */
const tls = (): Promise<Transport> =>
  (secure ??= import('node:https').then((https) => ({ request: https.request, agent: new https.Agent(KEEP_ALIVE) })));

/** One HTTP exchange; rejects with NetworkError or TimeoutError when there is no complete answer. */
async function send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, timeoutMs: number): Promise<RawResponse> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`unsupported protocol ${url.protocol}`);
  const transport = url.protocol === 'https:' ? await tls() : plain;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error instanceof TimeoutError ? error : new NetworkError(`${method} ${url.pathname} failed`, { cause: error }));
    };
    const req = transport.request(
      url,
      { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) }, agent: transport.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('close', () => {
          if (!res.complete) fail(new Error('connection closed before the answer was complete'));
        });
      },
    );
    const timer = setTimeout(() => fail(new TimeoutError(timeoutMs)), timeoutMs);
    req.on('error', fail);
    req.end(body);
  });
}

const header = (headers: IncomingHttpHeaders, name: string): string | null => {
  const value = headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
};

function describe(error: unknown): string {
  if (error instanceof RetryableStatus || error instanceof TimeoutError) return error.message;
  return networkReason(error);
}

export class ApiClient {
  readonly apiUrl: string;

  /**
   * `wrongUrlHint`: what to check when something other than the API answers at `apiUrl` (where the
   * address came from: `--api` for enroll, the credential file afterwards).
   */
  constructor(
    apiUrl: string,
    private readonly token: string,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly wrongUrlHint = 'check --api',
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
        // The default level 6: a baseline's ~1.2 MB of nodes gzip in ~85 ms at level 6, ~140 ms at
        // level 9, for under 3% more bytes.
        payload = gzipSync(json, { level: 6 });
      } else payload = json;
    }
    try {
      return await retry(
        async (attempt) => {
          if (attempt > 0) log.debug(`retrying ${method} ${path} (attempt ${attempt + 1})`);
          const url = new URL(`${this.apiUrl}${path}`);
          if (opts.meter && payload) opts.meter.bytes += payload.length;
          log.debug(`${method} ${path} (${payload?.length ?? 0} bytes${opts.gzip ? ' gzip' : ''})`);
          const response = await send(url, method, headers, payload, opts.timeoutMs ?? 30_000);
          const text = response.text;
          if (response.status >= 500 || response.status === 429) {
            throw new RetryableStatus(response.status, retryAfterMs(header(response.headers, 'retry-after')));
          }
          const contentType = header(response.headers, 'content-type') ?? '';
          let body: unknown = text;
          if (text && /json/.test(contentType)) {
            try {
              body = JSON.parse(text);
            } catch {
              // Leave the raw text for the error message.
            }
          }
          const answer = { status: response.status, contentType, body, location: header(response.headers, 'location') };
          const why = notTheApi(answer);
          if (why !== null) throw new NoApiError(noApiMessage(this.apiUrl, `${method} ${url.href}`, answer, why, this.wrongUrlHint));
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
      if (classify(error).retry || error instanceof NetworkError) {
        throw new UnreachableError(`API at ${this.apiUrl} unreachable: ${describe(error)} (${method} ${path})`, { cause: error });
      }
      throw error;
    }
  }
}
