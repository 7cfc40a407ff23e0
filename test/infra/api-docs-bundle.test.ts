import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { apiFunction } from '../../functions/api/api.function.ts';
import { swaggerUiDir } from '../../functions/api/docs-assets.ts';
import { bundleLambda } from '../../infra/bundling.ts';
import { REPO_ROOT } from '../../infra/driftwatch-stack.ts';
import { httpApiEvent } from '../helpers/events.ts';

/**
 * Issue 18: the API Lambda serves /docs from Swagger UI's files shipped beside its bundle, not inside it.
 * Builds the API's deployment directory as the stack does (infra/bundling.ts: the stack's esbuild options,
 * then its after-bundling commands), then calls the bundle's handler with API Gateway events in a fresh
 * Node process, as Lambda would.
 */
const out = mkdtempSync(join(tmpdir(), 'dw-api-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const PATHS = ['/docs', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css', '/openapi.json'];

describe('the API Lambda bundle and /docs', () => {
  it('answers the reference and its assets from files shipped beside the bundle, which does not carry them', async () => {
    await bundleLambda(REPO_ROOT, apiFunction.entry, out, { logLevel: 'silent' });
    const bundle = readFileSync(join(out, 'index.mjs'), 'utf8');
    const swaggerBundle = readFileSync(join(swaggerUiDir(), 'swagger-ui-bundle.js'), 'utf8');
    expect(bundle).not.toContain(swaggerBundle.slice(20_000, 20_200));
    expect(statSync(join(out, 'index.mjs')).size).toBeLessThan(swaggerBundle.length);

    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(join(out, 'index.mjs')).href)});
      const { gunzipSync } = await import('node:zlib');
      const answers = {};
      for (const [path, event] of Object.entries(JSON.parse(process.env.EVENTS))) {
        const r = await handler(event, {});
        let body = r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body);
        if (r.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        answers[path] = { status: r.statusCode, type: r.headers['content-type'], length: body.length, text: body.toString('utf8').slice(0, 2000) };
      }
      console.log(JSON.stringify(answers));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: out,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        EVENTS: JSON.stringify(Object.fromEntries(PATHS.map((path) => [path, httpApiEvent('GET', path, { sourceIp: '192.0.2.1', headers: { 'accept-encoding': 'gzip' } })]))),
        AWS_REGION: 'eu-west-1',
        TABLE_NAME: 'driftwatch',
        DRIFTWATCH_MASTER_SECRET: 'x'.repeat(48),
        OPERATOR_KEY_HASH: '0'.repeat(64),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    });
    const answers = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(answers['/docs']).toMatchObject({ status: 200, type: expect.stringMatching(/text\/html/) });
    expect(answers['/docs'].text).toContain('docs/assets/swagger-ui-bundle.js');
    expect(answers['/docs/assets/swagger-ui-bundle.js']).toMatchObject({ status: 200, type: expect.stringMatching(/javascript/), length: Buffer.byteLength(swaggerBundle) });
    expect(answers['/docs/assets/swagger-ui.css']).toMatchObject({ status: 200, type: expect.stringMatching(/text\/css/) });
    expect(answers['/openapi.json'].status).toBe(200);
    expect(JSON.parse(readFileSync(join(out, 'node_modules/swagger-ui-dist/package.json'), 'utf8')).name).toBe('swagger-ui-dist');
  });
});
