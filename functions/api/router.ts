import { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { ValidationError, type FieldError } from '../shared/problem.ts';
import type { AuthEnv } from './middleware/auth.ts';

/** zod issues -> the problem's `errors` list; unknown keys are listed one per key with their full path. */
export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...base, key].join('.'), message: 'unknown field' }));
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
        throw new ValidationError(`The request ${where} is invalid.`, fieldErrors(result.error as ZodError));
      }
      return undefined;
    },
  });
}

export type Router = ReturnType<typeof newRouter>;
