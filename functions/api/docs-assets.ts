import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The files of Swagger UI (swagger-ui-dist) that /docs serves, with their content types. They are read
 * from disk when first asked for, never imported: the API bundle, which every cold start loads, stays
 * without them (about 2 MB). The Lambda gets exactly these files beside its bundle, in
 * node_modules/swagger-ui-dist/ (infra/bundling.ts copies them after bundling), so one lookup
 * finds them both there and in a checkout.
 */
export const SWAGGER_UI_FILES = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;

export type SwaggerUiFile = keyof typeof SWAGGER_UI_FILES;

export const SWAGGER_UI_PACKAGE = 'swagger-ui-dist';

/** The files to ship beside a bundle so that swaggerUiDir() resolves there too: its package.json and the files served. */
export const SWAGGER_UI_SHIPPED = ['package.json', ...Object.keys(SWAGGER_UI_FILES)];

/** The directory of swagger-ui-dist, resolved from this module (or from the bundle that holds it). */
export function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve(`${SWAGGER_UI_PACKAGE}/package.json`));
}

const cache = new Map<SwaggerUiFile, Promise<Buffer>>();

/** One of the served files, read once per process (a warm Lambda answers from memory). */
export function readSwaggerUiFile(file: SwaggerUiFile): Promise<Buffer> {
  let content = cache.get(file);
  if (!content) {
    content = readFile(join(swaggerUiDir(), file));
    // A failed read (files not shipped) is tried again on the next request rather than cached.
    content.catch(() => cache.delete(file));
    cache.set(file, content);
  }
  return content;
}

