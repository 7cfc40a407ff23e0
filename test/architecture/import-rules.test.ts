import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { serverModulesIn } from '../../scripts/build-agent.ts';
import { sources, violations } from './import-rules.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('import rules (docs/architecture.md)', () => {
  it('hold in the repository', () => {
    expect(violations(sources(root, ['functions']))).toEqual([]);
  });

  it('catch domain code that imports the store, the API, a worker or an SDK', () => {
    const bad = new Map([
      ['functions/domain/a.ts', "import { getScan } from '../store/scans.ts';"],
      ['functions/domain/b.ts', "import type { Context } from 'hono';"],
      ['functions/domain/c.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';"],
      ['functions/domain/d.ts', "export { handler } from '../workers/scan-ingest.worker.ts';"],
      ['functions/domain/e.ts', "const api = await import('../api/app.ts');"],
      ['functions/domain/ok.ts', "import { targetForPath } from '../contract/targets.ts';"],
    ]);
    expect(violations(bad).map((v) => v.file)).toEqual(['functions/domain/a.ts', 'functions/domain/b.ts', 'functions/domain/c.ts', 'functions/domain/d.ts', 'functions/domain/e.ts']);
  });

  it('catch a store module that imports the API', () => {
    const bad = new Map([
      ['functions/store/x.ts', "import { ValidationError } from '../api/schemas/common.schemas.ts';"],
      ['functions/store/y.ts', "import { getDb } from '../shared/clients.ts';"],
    ]);
    expect(violations(bad).map((v) => v.file)).toEqual(['functions/store/x.ts']);
  });

  it('keep the agent bundle to functions/contract/ of the server code', async () => {
    expect(serverModulesIn(['functions/contract/tree.ts', 'agent/main.ts', 'functions/domain/diff.ts', 'node_modules/picomatch/index.js'])).toEqual(['functions/domain/diff.ts']);
    const result = await build({ entryPoints: [fileURLToPath(new URL('../../agent/main.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent', absWorkingDir: root });
    expect(serverModulesIn(Object.keys(result.metafile.inputs))).toEqual([]);
  });
});
