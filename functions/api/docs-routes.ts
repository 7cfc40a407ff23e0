import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { NotFoundError } from '../shared/problem.ts';
import { readSwaggerUiFile, SWAGGER_UI_FILES, type SwaggerUiFile } from './docs-assets.ts';
import { declareRoute } from './router.ts';

/**
 * `GET /docs`: the interactive API reference (Swagger UI) over /openapi.json, with every asset served
 * by the app itself (no CDN: it works offline and under a strict CSP). URLs are relative to /docs, so
 * the page also works behind a path prefix.
 */
export const docsRoutes = new Hono();

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Driftwatch API reference</title>
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<noscript>The reference needs JavaScript; the document itself is at <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</noscript>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/init.js"></script>
</body>
</html>
`;

/** Swagger UI's settings: our document, no topbar, the operationIds shown (they are a generated client's method names). */
const INIT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  layout: 'BaseLayout',
  deepLinking: true,
  displayOperationId: true,
  displayRequestDuration: true,
  filter: true,
  persistAuthorization: true,
  tryItOutEnabled: false,
  validatorUrl: null,
  defaultModelsExpandDepth: 0,
  docExpansion: 'list',
});
`;

const ASSETS: Record<string, { type: string; read: () => Promise<Buffer | string> }> = {
  'init.js': { type: 'text/javascript; charset=utf-8', read: async () => INIT },
  ...Object.fromEntries(
    Object.entries(SWAGGER_UI_FILES).map(([file, type]) => [file, { type, read: () => readSwaggerUiFile(file as SwaggerUiFile) }]),
  ),
};

declareRoute('get', '/docs');
declareRoute('get', '/docs/assets/{file}');

docsRoutes.get('/docs', (c) => c.html(PAGE));

docsRoutes.get('/docs/assets/:file', compress(), async (c) => {
  const file = c.req.param('file');
  if (!Object.hasOwn(ASSETS, file)) throw new NotFoundError('asset');
  const asset = ASSETS[file]!;
  const content = await asset.read();
  return c.body(typeof content === 'string' ? content : new Uint8Array(content), 200, {
    'content-type': asset.type,
    'cache-control': 'public, max-age=3600',
  });
});
