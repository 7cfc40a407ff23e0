import { createRoute, OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { NotFoundError, ValidationError, type FieldError } from '../shared/problem.ts';
import { errorResponses, IdParamSchema, jsonResponse, listQuery, pageOf } from './schemas/common.schemas.ts';
import { authorize, type Access, type AuthEnv } from './middleware/auth.ts';
import { BODY_LIMITS, limitBody } from './middleware/body-limit.ts';

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

/**
 * A route with its access rule and body limit declared where it is defined: the route's own
 * middleware checks the body size, then the credential (401 invalid, 403 not allowed here). Matching
 * comes first, so an unknown path is a 404 and a wrong method a 405, whatever the credential.
 */
export function route<const R extends RouteConfig>(config: R & { access: Access; bodyLimit?: number }) {
  const { access, bodyLimit, ...rest } = config;
  declareRoute(rest.method, rest.path);
  return createRoute({
    ...rest,
    security: [{ bearer: [] }],
    middleware: [limitBody(bodyLimit ?? BODY_LIMITS.json), authorize(access)] as never,
  }) as unknown as R;
}

interface ReadRouteOptions<S> {
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  /** The served item (a model schema). */
  schema: S;
  /** Default `read-only`. */
  access?: Access;
}

/** `GET <path>/{id}` answering one item: the shape every resource's read route shares. */
export function getRoute<S extends z.ZodType>(options: ReadRouteOptions<S>) {
  return route({
    method: 'get',
    path: options.path,
    access: options.access ?? 'read-only',
    tags: options.tags,
    summary: options.summary,
    description: options.description,
    request: { params: IdParamSchema },
    responses: { 200: jsonResponse(options.schema, 'The item.'), ...errorResponses },
  });
}

/** `GET <path>` answering a page of items, with strict filters (listQuery). */
export function listRoute<S extends z.ZodType, F extends z.ZodRawShape = {}>(options: ReadRouteOptions<S> & { filters?: z.ZodObject<F> }) {
  return route({
    method: 'get',
    path: options.path,
    access: options.access ?? 'read-only',
    tags: options.tags,
    summary: options.summary,
    description: options.description,
    request: { query: listQuery(options.filters) },
    responses: { 200: jsonResponse(pageOf(options.schema), 'A page of items.'), ...errorResponses },
  });
}

/** The item, or a 404 naming what was missing. */
export function found<T>(item: T | undefined, what: string): T {
  if (item === undefined) throw new NotFoundError(what);
  return item;
}
