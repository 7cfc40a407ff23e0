/**
 * What can go wrong between the agent and the API, and how to say it. The CLI's exit codes are made
 * of these classes (CONTRACT §3): UnreachableError and NoApiError exit 3 (results are spooled),
 * RejectedCredentialError exits 4, ApiError (a real answer of the API the caller did not expect) 1.
 * The aim is that each message names the cause once: a wrong `--api` does not read as a wrong key.
 */

/** The API could not be reached (network, TLS, 5xx, 429) even after retries. */
export class UnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/**
 * Something answered, but not a Driftwatch API: a 404 from another server or from a Driftwatch API
 * asked at the wrong path (`--api http://host:8080/v1` asks for /v1/v1/...), a redirect, a page that
 * is not JSON. Like an unreachable API, nothing is decided by such an answer: results stay spooled.
 */
export class NoApiError extends UnreachableError {
  constructor(message: string) {
    super(message);
    this.name = 'NoApiError';
  }
}

/** 401 from the API: the credential (or enrollment key) is not accepted, e.g. the server was deactivated. */
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

/** Any other answer of the API the caller did not expect: a 4xx with a problem+json body. */
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

/** Every problem type the API sends starts with this (functions/shared/problem.ts). */
const PROBLEM_TYPE_PREFIX = 'https://driftwatch.dev/problems/';
/** The API's answer to a path it has no route for (functions/api/middleware/errors.ts). */
const NO_ROUTE = /^No such route\b/;

/** Whether `body` is a problem+json document of a Driftwatch API. */
export function isDriftwatchProblem(contentType: string, body: unknown): body is Problem {
  if (!/^application\/problem\+json\b/i.test(contentType) || typeof body !== 'object' || body === null) return false;
  const type = (body as Problem).type;
  return typeof type === 'string' && type.startsWith(PROBLEM_TYPE_PREFIX);
}

/** What came back, for deciding whether it is the API speaking. */
export interface Answer {
  status: number;
  /** The Content-Type header, '' when absent. */
  contentType: string;
  /** Parsed JSON when the answer was JSON, else the raw text. */
  body: unknown;
  /** The Location header of a redirect. */
  location: string | null;
}

const mediaType = (contentType: string): string => contentType.split(';')[0]!.trim() || 'no Content-Type';

/**
 * Why `answer` cannot come from a Driftwatch API route, in a few words (`null`: it can). Every agent
 * route answers JSON, and every error of the API is a problem+json document of its own type, so a
 * redirect, a 2xx that is not JSON or a 4xx without such a document comes from something else, and a
 * 404 "No such route" means the API was asked at the wrong address.
 */
export function notTheApi(answer: Answer): string | null {
  const { status, contentType, body } = answer;
  if (status >= 300 && status < 400) return answer.location ? `redirected to ${answer.location}` : 'a redirect';
  if (status >= 200 && status < 300) return typeof body === 'object' && body !== null ? null : `${mediaType(contentType)} instead of JSON`;
  if (!isDriftwatchProblem(contentType, body)) return mediaType(contentType);
  if (status === 404 && NO_ROUTE.test(body.detail ?? '')) return 'no such route';
  return null;
}

/** `--api http://host:8080/v1` asks for /v1/v1/...: the address without that /v1, else null. */
export function withoutVersionPath(apiUrl: string): string | null {
  const url = new URL(apiUrl);
  if (!/\/v1\/*$/.test(url.pathname)) return null;
  url.pathname = url.pathname.replace(/\/v1\/*$/, '');
  return url.toString().replace(/\/+$/, '');
}

/**
 * The one line for an answer that is not the API's. `hint` says where the address came from
 * (`check --api` for enroll; the credential file for the other commands).
 */
export function noApiMessage(apiUrl: string, request: string, answer: Answer, why: string, hint: string): string {
  const shorter = answer.status === 404 ? withoutVersionPath(apiUrl) : null;
  const suggestion = shorter ? ` (without /v1: ${shorter})` : '';
  return `no Driftwatch API at ${apiUrl} (got ${answer.status} for ${request}, ${why}): ${hint}${suggestion}`;
}

/** Network error codes in words (Node's `err.code`); TLS ones say what to do about them. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS failed: the server does not speak TLS on that port (http:// instead of https://?)',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'TLS failed: the server does not speak TLS on that port (http:// instead of https://?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS failed: self-signed certificate (trust its CA with NODE_EXTRA_CA_CERTS)',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS failed: self-signed certificate in the chain (trust its CA with NODE_EXTRA_CA_CERTS)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS failed: certificate issuer unknown (trust its CA with NODE_EXTRA_CA_CERTS)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS failed: certificate issuer unknown (trust its CA with NODE_EXTRA_CA_CERTS)',
  CERT_HAS_EXPIRED: 'TLS failed: the certificate has expired',
  CERT_NOT_YET_VALID: 'TLS failed: the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS failed: the certificate is for another host name',
};

interface CodedError {
  code?: string;
  message?: string;
  cause?: CodedError;
}

/** The innermost `code` of an error and its causes. */
function errorCode(error: unknown): string | undefined {
  let code: string | undefined;
  for (let e = error as CodedError | undefined, depth = 0; e && depth < 5; e = e.cause, depth++) if (typeof e.code === 'string') code = e.code;
  return code;
}

/** TLS failures repeat identically on every try: they are not worth retrying. */
export function isTlsFailure(error: unknown): boolean {
  const code = errorCode(error) ?? '';
  return /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(code) || /^EPROTO$/.test(code);
}

/** A network failure in words, with its code: `connection refused (ECONNREFUSED)`. */
export function networkReason(error: unknown): string {
  const code = errorCode(error);
  if (code && NETWORK_REASONS[code]) return `${NETWORK_REASONS[code]} [${code}]`;
  if (code && isTlsFailure(error)) {
    const message = innermostMessage(error);
    // OpenSSL's "wrong version number": a plain-HTTP server answered the TLS handshake.
    if (/wrong version number|packet length too long|http request/i.test(message)) return `${NETWORK_REASONS.ERR_SSL_WRONG_VERSION_NUMBER} [${code}]`;
    // OpenSSL's own text ends in its source location ("...:reason:file.c:350:"): keep the reason.
    const reason = message.includes(':') ? (message.split(':').filter((part) => /[a-z] [a-z]/i.test(part)).pop() ?? message) : message;
    return `TLS failed: ${reason.trim()} [${code}]`;
  }
  return code ?? innermostMessage(error);
}

function innermostMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (let e = (error as CodedError | undefined)?.cause, depth = 0; e && depth < 5; e = e.cause, depth++) if (e.message) message = e.message;
  return message;
}
