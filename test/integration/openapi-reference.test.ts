import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 18: /openapi.json is a reference worth reading. Walks the document the real local stack serves
 * (so a route added later is held to the same bar), lints it with Redocly CLI and the committed
 * redocly.yaml, and generates a typed client from it with openapi-typescript.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

let stack: TestStack;
let doc: any;
let work: string;

beforeAll(async () => {
  stack = await startTestStack();
  doc = (await stack.api('GET', '/openapi.json')).json;
  work = await mkdtemp(join(tmpdir(), 'dw-openapi-'));
});
afterAll(async () => {
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function operations(): Array<{ method: string; path: string; op: any }> {
  return Object.entries(doc.paths as Record<string, any>).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ method, path, op: item[method] })),
  );
}

/** Follows `$ref`s into components. */
function deref(schema: any): any {
  let s = schema;
  while (s?.$ref) s = doc.components.schemas[s.$ref.split('/').pop()];
  return s;
}

/** Every schema in the document with the path that leads to it (components and inline ones). */
function* schemas(node: any, where: string, seen = new Set<any>()): Generator<[string, any]> {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (node.type || node.properties || node.anyOf || node.$ref) yield [where, node];
  for (const [key, child] of Object.entries(node)) {
    if (key === 'example' || key === 'examples') continue;
    yield* schemas(child, `${where}/${key}`, seen);
  }
}

describe('every operation explains itself', () => {
  it('has a unique camelCase operationId, one declared tag, a summary, a description of its own, and the credential it takes', () => {
    const declared = new Map((doc.tags as Array<{ name: string; description: string }>).map((t) => [t.name, t.description]));
    const ids = new Set<string>();
    const all = operations();
    expect(all.length).toBeGreaterThan(60);
    for (const { method, path, op } of all) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(ids.has(op.operationId), `${where}: operationId ${op.operationId} twice`).toBe(false);
      ids.add(op.operationId);
      expect(op.tags, where).toHaveLength(1);
      expect(declared.get(op.tags[0]), `${where}: tag ${op.tags[0]} is not declared with a description`).toBeTruthy();
      expect(op.summary?.length, where).toBeGreaterThan(5);
      // The credential line is added by route(); the description must say more than that.
      const own = String(op.description ?? '').split('**Credential:**')[0]!.trim();
      expect(own.length, `${where}: no description of its own`).toBeGreaterThan(20);
      expect(op.description, where).toMatch(/\*\*Credential:\*\* (the operator key|an enrollment key|an agent credential|a tenant API key)/);
      expect(op.security, where).toHaveLength(1);
      expect(Object.keys(doc.components.securitySchemes), where).toContain(Object.keys(op.security[0])[0]);
    }
  });

  it('describes every parameter', () => {
    for (const { method, path, op } of operations()) {
      for (const param of op.parameters ?? []) {
        expect(param.description?.length, `${method.toUpperCase()} ${path} parameter ${param.name}`).toBeGreaterThan(5);
      }
    }
  });

  it('declares the 409s that exist', () => {
    const conflicts = operations()
      .filter(({ op }) => op.responses['409'])
      .map(({ op }) => op.operationId)
      .sort();
    expect(conflicts).toEqual(
      [
        'applyServerRecommendations', // the policy kept changing under a concurrent write
        'completeScan', // roots missing, or the scan failed
        'createLabel', // name taken
        'createServerGroup', // tag taken
        'deleteAlertProfile', // used by a group
        'deleteLabel', // applied by an active rule
        'deletePolicy', // used by a group
        'deleteServerGroup', // has servers, or is Unassigned
        'failScan', // finished scans
        'findMissingNodes', // finished scans
        'importPolicyTargets', // concurrent change
        'updateLabel', // name taken
        'revokeApiKey', // the tenant's last admin key
        'sendSyncDestinationNow', // the destination is disabled
        'updateServerGroup', // tag taken
        'uploadNodes', // finished scans
      ].sort(),
    );
  });
});

describe('the schemas', () => {
  it('mark every timestamp as format date-time', () => {
    const timestamps: string[] = [];
    for (const [where, schema] of schemas(doc, '#')) {
      for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, any>)) {
        if (!/At$|^at$|^[mc]time$/.test(name)) continue;
        timestamps.push(`${where}/${name}`);
        const resolved = deref(property);
        const formats = [resolved.format, ...(resolved.anyOf ?? []).map((s: any) => deref(s).format)];
        expect(formats, `${where}/properties/${name}`).toContain('date-time');
      }
    }
    expect(timestamps.length).toBeGreaterThan(30);
    for (const { method, path, op } of operations()) {
      for (const param of (op.parameters ?? []).filter((p: any) => p.name === 'from' || p.name === 'to')) {
        expect(param.schema.format, `${method} ${path} ?${param.name}`).toBe('date-time');
      }
    }
  });

  it('enumerate changedAttributes, say that a target path is absolute and how lastSeenAt lags', () => {
    for (const shape of ['Event', 'DriftItem']) {
      const items = deref(deref(doc.components.schemas[shape]).properties.changedAttributes.items);
      expect(items.enum, shape).toEqual(expect.arrayContaining(['content', 'mode', 'owner', 'mtime', 'linkTarget']));
    }
    expect(doc.components.schemas.Target.properties.path.description).toMatch(/absolute path/i);
    expect(doc.components.schemas.Server.properties.lastSeenAt.description).toMatch(/at most every 15 minutes/);
  });

  it('give examples of the main bodies (the linter checks them against their schemas)', () => {
    for (const name of ['Policy', 'CreatePolicy', 'ServerGroup', 'CreateServerGroup', 'Server', 'Scan', 'Event', 'Entry', 'Rule', 'CreateRule', 'Label', 'AlertProfile', 'Settings', 'Problem']) {
      expect(doc.components.schemas[name]?.example, name).toBeTruthy();
    }
  });
});

describe('the document', () => {
  it("carries package.json's version, the server it was served from and four credential schemes", async () => {
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'));
    expect(doc.info.version).toBe(pkg.version);
    expect(doc.servers).toEqual([{ url: stack.apiUrl, description: expect.any(String) }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['agentCredential', 'apiKey', 'enrollmentKey', 'operatorKey']);
  });

  it('passes Redocly CLI with the committed redocly.yaml at zero problems', async () => {
    const file = join(work, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const cli = join(REPO, 'node_modules/@redocly/cli/bin/cli.js');
    const { stdout } = await run(process.execPath, [cli, 'lint', file, '--config', join(REPO, 'redocly.yaml'), '--format', 'json'], {
      cwd: REPO,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error) => error as { stdout: string });
    const report = JSON.parse(stdout);
    expect(report.problems.map((p: any) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('gives openapi-typescript a client with named operations, which compiles', async () => {
    // As README says: a field with a default may be left out of a request (served shapes list every field as required).
    const types = astToString(await openapiTS(doc, { defaultNonNullable: false }));
    expect(types).not.toMatch(/export type operations = Record<string, never>/);
    const block = types.slice(types.indexOf('export interface operations {'));
    for (const { op } of operations()) expect(block, op.operationId).toContain(`    ${op.operationId}: {`);
    // A script using the generated types: a request body and an answer, typed by operation.
    await writeFile(join(work, 'driftwatch-api.d.ts'), types);
    await writeFile(
      join(work, 'use.ts'),
      [
        "import type { operations } from './driftwatch-api.js';",
        "type Body = operations['createPolicy']['requestBody']['content']['application/json'];",
        "type Answer = operations['listEvents']['responses'][200]['content']['application/json'];",
        "const body: Body = { name: 'etc', platform: 'linux', targets: [{ path: '/etc' }] };",
        "const paths = (page: Answer) => page.items.map((event) => `${event.changeType} ${event.path}`);",
        'export { body, paths };',
      ].join('\n'),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const compiled = await run(process.execPath, [tsc, '--noEmit', '--strict', '--lib', 'es2022', '--target', 'es2022', '--module', 'nodenext', join(work, 'use.ts')], { cwd: work }).catch(
      (error) => error as { stdout: string; code: number },
    );
    expect(compiled.stdout).toBe('');
  });
});
