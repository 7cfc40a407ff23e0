import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgent, SIZE_GOAL } from '../../scripts/build-agent.ts';

/**
 * The agent ships as one file: build it, copy it where there is no node_modules, and run it there.
 * (A scan with the bundle needs the API: that is the e2e suite's job.)
 */

let buildDir: string;
let hostDir: string;
let agent: string;

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'dw-bundle-build-'));
  hostDir = mkdtempSync(join(tmpdir(), 'dw-bundle-host-'));
  const { outfile } = await buildAgent(join(buildDir, 'driftwatch-agent.mjs'));
  agent = join(hostDir, 'driftwatch-agent.mjs');
  copyFileSync(outfile, agent);
});
afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(hostDir, { recursive: true, force: true });
});

function run(...args: string[]) {
  const env = { ...process.env };
  delete env.DRIFTWATCH_STATE_DIR;
  const result = spawnSync(process.execPath, [agent, ...args], { cwd: hostDir, env, encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('agent bundle', () => {
  it('is one executable file under the size goal', () => {
    const built = join(buildDir, 'driftwatch-agent.mjs');
    expect(statSync(built).size).toBeLessThanOrEqual(SIZE_GOAL);
    expect(statSync(built).mode & 0o755).toBe(0o755);
    expect(readFileSync(built, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('prints status from a state dir, with no network and no node_modules', () => {
    const stateDir = join(hostDir, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(
      join(stateDir, 'credential.json'),
      JSON.stringify({ apiUrl: 'http://127.0.0.1:9', serverId: 'srv-123', tenantId: 't-1', credential: 'secret' }),
      { mode: 0o600 },
    );
    const { code, stdout } = run('status', '--state-dir', stateDir);
    expect(code).toBe(0);
    const status = JSON.parse(stdout);
    expect(status).toMatchObject({ serverId: 'srv-123', api: 'http://127.0.0.1:9', lastScan: null, spooled: 0, watching: 'off' });
    expect(stdout).not.toContain('secret');
  });

  it('exits 2 with a clear message when not enrolled', () => {
    const { code, stderr, stdout } = run('status', '--state-dir', join(hostDir, 'nowhere'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/not enrolled/);
    expect(stdout).toBe('');
  });

  it('exits 2 on bad usage and 0 on --help', () => {
    expect(run().code).toBe(2);
    const unknown = run('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/usage: driftwatch-agent/);
    expect(run('status', '--bogus').code).toBe(2);
    expect(run('enroll', '--api', 'http://127.0.0.1:9').code).toBe(2);
    expect(run('enroll', '--api', 'not a url', '--key', 'k', '--state-dir', join(hostDir, 'x')).code).toBe(2);
    const help = run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/enroll --api URL --key ENROLLMENT_KEY/);
  });

  it('exits 3 when the API cannot be reached', () => {
    const { code, stderr } = run('enroll', '--api', 'http://127.0.0.1:9', '--key', 'k', '--state-dir', join(hostDir, 'x'));
    expect(code).toBe(3);
    expect(stderr).toMatch(/unreachable/);
  });
});
