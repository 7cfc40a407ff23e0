import { createMiddleware } from 'hono/factory';
import type { Context } from 'hono';
import { AppError, UnsupportedMediaTypeError, ValidationError } from '../../shared/problem.ts';

/** What a route reads besides its path: this middleware refuses everything else. */
export interface RequestShape {
  /** The route declares query parameters (its own schema then checks them). */
  query: boolean;
  /** The route declares a request body: `validated` by its schema, `own` when its handler reads and checks it itself. */
  body: 'none' | 'validated' | 'own';
  /** Content-Encodings the route decodes itself (`gzip` for node uploads); any other is a 415. */
  encodings: readonly string[];
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as UTF-8 text; bytes that are not UTF-8 are a 400 (RFC 8259: JSON is UTF-8), not a silent U+FFFD. */
export function strictUtf8(bytes: ArrayBuffer | Uint8Array, what = 'body'): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ValidationError(`The ${what} is not valid UTF-8.`, [{ path: '(body)', message: 'invalid UTF-8' }]);
  }
}

/** JSON text parsed, refusing NUL in any key or string: no field of this API has a use for it, and it cuts text short in C-based tools. */
export function parseJsonWithoutNul(text: string): unknown {
  let nulAt: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, function refuseNul(key, value) {
      if (nulAt === undefined && (key.includes('\0') || (typeof value === 'string' && value.includes('\0')))) nulAt = key || '(body)';
      return value;
    });
  } catch {
    throw new AppError(400, 'malformed', 'Malformed request', 'The body is not valid JSON.');
  }
  if (nulAt !== undefined) throw new ValidationError('The body holds a NUL character.', [{ path: nulAt, message: 'NUL character' }]);
  return parsed;
}

function declaresBody(c: Context): boolean {
  const length = c.req.header('content-length');
  return (length !== undefined && length.trim() !== '0') || c.req.header('transfer-encoding') !== undefined;
}

/**
 * Route middleware (router.ts `route()`), after the credential check: what a route does not read is
 * refused rather than ignored, so a request is either understood whole or changes nothing. A Content-Encoding
 * the route does not decode is a 415 (a client would otherwise have its compressed body read as text); a
 * query parameter on a route that takes none, like an unknown one on a list, is a 400 naming it; a body on a
 * route that takes none is a 400 (an empty body or `{}` pass: they hold no field). A JSON body must be
 * UTF-8 without NUL characters (400); a route that reads its own body (node uploads) checks that itself, with
 * the same functions, so a large upload is decoded and parsed once.
 */
export function strictRequest(shape: RequestShape) {
  return createMiddleware(async function refuseWhatTheRouteDoesNotRead(c, next) {
    const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && !shape.encodings.includes(encoding)) {
      throw new UnsupportedMediaTypeError(`Content-Encoding ${encoding} is not supported here${shape.encodings.length ? `; use ${shape.encodings.join(' or ')}` : ''}.`);
    }
    if (!shape.query) {
      const names = [...new Set(new URL(c.req.url).searchParams.keys())];
      if (names.length) {
        throw new ValidationError(`Unknown query parameter(s): ${names.join(', ')}. This route takes none.`, names.map((path) => ({ path, message: 'unknown query parameter' })));
      }
    }
    if (shape.body === 'none') {
      if (declaresBody(c)) await refuseBody(c);
    } else if (shape.body === 'validated' && encoding === 'identity' && JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      // Read once here (hono caches it for the validator) and checked as the validator cannot: bytes and NUL.
      parseJsonWithoutNul(strictUtf8(await c.req.arrayBuffer()));
    }
    await next();
  });
}

/** A body sent to a route that takes none: fine when it says nothing (empty, `{}`), else a 400 naming its fields. */
async function refuseBody(c: Context): Promise<void> {
  let bytes = new Uint8Array();
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } catch {
    // not handed over by the runtime: judged by its declared length below
  }
  // A runtime hands no body of a GET to the app; its declared length says one was sent all the same.
  if (bytes.length === 0 && Number(c.req.header('content-length') ?? 0) > 0) throw new ValidationError('This route takes no request body.', [{ path: '(body)', message: 'unexpected body' }]);
  const text = strictUtf8(bytes).trim();
  if (text === '' || text === '{}') return;
  let fields: string[] = [];
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fields = Object.keys(parsed);
  } catch {
    // not JSON: no fields to name
  }
  if (fields.length) throw new ValidationError(`Unknown field(s): ${fields.join(', ')}. This route takes no body.`, fields.map((path) => ({ path, message: 'unknown field' })));
  throw new ValidationError('This route takes no request body.', [{ path: '(body)', message: 'unexpected body' }]);
}
