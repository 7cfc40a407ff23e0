import { createRoute, OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { Handler, MiddlewareHandler } from 'hono';
import { NotFoundError, ValidationError, type FieldError } from '../shared/problem.ts';
import { errorResponses, idParam, jsonResponse, listQuery, pageOf } from './schemas/common.schemas.ts';
import { authorize, WHO, type Access, type AuthEnv } from './middleware/auth.ts';
import type { ApiTag } from './tags.ts';
import { BODY_LIMITS, limitBody } from './middleware/body-limit.ts';
import { strictRequest } from './middleware/strict-request.ts';

/** zod issues -> the problem's `errors` list; unknown keys are listed one per key with their full path. */
export function fieldErrors(error: ZodError, unknownMessage = 'unknown field'): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...base, key].join('.'), message: unknownMessage }));
    }
    return [{ path: base.join('.') || '(body)', message: issue.message }];
  });
}

/** Every resource module builds its routes on one of these, so validation failures look the same everywhere. */
export function newRouter() {
  return new OpenAPIHono<AuthEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const where = result.target === 'json' ? 'body' : result.target;
        const unknown = result.target === 'query' ? 'unknown query parameter' : 'unknown field';
        const errors = fieldErrors(result.error as ZodError, unknown);
        const named = errors.filter((e) => e.message === unknown).map((e) => e.path);
        const detail = named.length ? `Unknown ${result.target === 'query' ? 'query parameter' : 'field'}(s): ${named.join(', ')}.` : `The request ${where} is invalid.`;
        throw new ValidationError(detail, errors);
      }
      return undefined;
    },
  });
}

export type Router = ReturnType<typeof newRouter>;

/** Method and path pattern of every declared route: the app answers 405 with `Allow` from these. */
export const DECLARED_ROUTES: Array<{ method: string; pattern: RegExp }> = [];

/** `/v1/servers/{id}` -> a regex matching one concrete path. */
function pathPattern(path: string): RegExp {
  const literal = (text: string) => text.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
  return new RegExp(`^${path.split(/\{[^}]+\}|:[A-Za-z]+/).map(literal).join('[^/]+')}$`);
}

/** Records a route for the 405 answer (routes added outside `route()`, like the gzip node upload, call it too). */
export function declareRoute(method: string, path: string): void {
  DECLARED_ROUTES.push({ method: method.toUpperCase(), pattern: pathPattern(path) });
}

/** The security scheme (openapi-document.ts) each kind of access takes. */
const SECURITY_SCHEME: Record<Access, string> = {
  operator: 'operatorKey',
  enrollment: 'enrollmentKey',
  agent: 'agentCredential',
  'read-only': 'apiKey',
  user: 'apiKey',
  author: 'apiKey',
  admin: 'apiKey',
};

/** What every operation must say about itself in the reference: a generated client names its methods by operationId. */
export interface OperationDocs {
  /** camelCase verb + noun, unique across the API (`createPolicy`): the method name in generated clients. */
  operationId: string;
  tag: ApiTag;
  summary: string;
  /** What it does beyond the summary: defaults, side effects, what it answers when. The credential it needs is added. */
  description: string;
}

const operationIds = new Set<string>();

/**
 * A route with its access rule and body limit declared where it is defined: the route's own
 * middleware checks the body size, then the credential (401 invalid, 403 not allowed here), then refuses
 * what the route does not read (strict-request.ts: a query or body it takes none of, a Content-Encoding). Matching
 * comes first, so an unknown path is a 404 and a wrong method a 405, whatever the credential.
 * operationId, tag, summary and description are required, so no operation reaches /docs undocumented.
 */
export function route<const R extends Omit<RouteConfig, 'operationId' | 'tags' | 'summary' | 'description'>>(
  config: R & OperationDocs & { access: Access; bodyLimit?: number; contentEncodings?: readonly string[]; readsOwnBody?: boolean },
) {
  const { access, bodyLimit, contentEncodings, readsOwnBody, tag, description, ...rest } = config;
  if (!/^[a-z][A-Za-z0-9]*$/.test(rest.operationId)) throw new Error(`operationId ${rest.operationId} is not camelCase`);
  if (operationIds.has(rest.operationId)) throw new Error(`operationId ${rest.operationId} is used twice`);
  operationIds.add(rest.operationId);
  declareRoute(rest.method, rest.path);
  return createRoute({
    ...rest,
    tags: [tag],
    description: `${description}\n\n**Credential:** ${WHO[access]}.`,
    security: [{ [SECURITY_SCHEME[access]]: [] }],
    middleware: [
      limitBody(bodyLimit ?? BODY_LIMITS.json),
      authorize(access),
      strictRequest({
        query: rest.request?.query !== undefined,
        body: readsOwnBody ? 'own' : rest.request?.body !== undefined ? 'validated' : 'none',
        encodings: contentEncodings ?? [],
      }),
    ] as never,
  }) as unknown as R;
}

/**
 * A route whose handler reads its own body (the validator cannot see through gzip): documented,
 * authorized and limited exactly like route(), with the handler given the raw request.
 */
export function ownBodyRoute<const R extends Omit<RouteConfig, 'operationId' | 'tags' | 'summary' | 'description'>>(
  router: Router,
  config: R & OperationDocs & { access: Access; bodyLimit?: number; contentEncodings?: readonly string[] },
  handler: Handler<AuthEnv>,
): void {
  const { middleware, ...documented } = route({ ...config, readsOwnBody: true }) as RouteConfig;
  router.openAPIRegistry.registerPath(documented);
  const handlers = [...(middleware as MiddlewareHandler<AuthEnv>[]), handler] as [Handler<AuthEnv>];
  router.on([documented.method.toUpperCase()], [documented.path.replace(/\{([^}]+)\}/g, ':$1')], ...handlers);
}

interface ReadRouteOptions<S> extends OperationDocs {
  path: string;
  /** The served item (a model schema). */
  schema: S;
  /** Default `read-only`. */
  access?: Access;
}

/** `GET <path>/{id}` answering one item: the shape every resource's read route shares. */
export function getRoute<S extends z.ZodType>({ schema, access, path, ...docs }: ReadRouteOptions<S> & { what: string }) {
  const { what, ...operation } = docs;
  return route({
    ...operation,
    method: 'get',
    path,
    access: access ?? 'read-only',
    request: { params: idParam(what) },
    responses: { 200: jsonResponse(schema, `The ${what}.`), ...errorResponses },
  });
}

/** `GET <path>` answering a page of items, with strict filters (listQuery). */
export function listRoute<S extends z.ZodType, F extends z.ZodRawShape = {}>({
  schema,
  access,
  path,
  filters,
  ...docs
}: ReadRouteOptions<S> & { filters?: z.ZodObject<F> }) {
  return route({
    ...docs,
    method: 'get',
    path,
    access: access ?? 'read-only',
    request: { query: listQuery(filters) },
    responses: { 200: jsonResponse(pageOf(schema), 'A page of items, and the cursor of the next page (null on the last).'), ...errorResponses },
  });
}

/** The item, or a 404 naming what was missing. */
export function found<T>(item: T | undefined, what: string): T {
  if (item === undefined) throw new NotFoundError(what);
  return item;
}
