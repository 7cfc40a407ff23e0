import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent, type AgentRun } from '../helpers/agent.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 18, the agent CLI part, with the real CLI against the real local stack: each failure says its
 * cause in one line (a wrong --api is not "check the enrollment key"), a server nothing will scan is
 * warned about at enroll and at scan (exit codes and the JSON on stdout unchanged), --version, --help
 * with every exit code, usage errors as one line and a hint.
 */

let stack: TestStack;
let admin: string;
let key: string;
const root = mkdtempSync(join(tmpdir(), 'dw-cli-e2e-'));
let n = 0;
const stateDir = () => join(root, `state-${++n}`);

/** Something that is not a Driftwatch API, on 127.0.0.1: answers every request with `answer`. */
let answer: { status: number; headers: Record<string, string>; body: string } = { status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not Found</h1>' };
let other: Server;
let otherUrl: string;

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  key = stack.credentials.enrollmentKey;
  other = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(answer.status, answer.headers).end(answer.body));
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const address = other.address();
  otherUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => other?.close(resolve));
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The agent's stderr lines, without the `driftwatch-agent <level>: ` prefix, for one level. */
const lines = (run: AgentRun, level: 'error' | 'warn' | 'info') =>
  run.stderr
    .split('\n')
    .filter((l) => l.startsWith(`driftwatch-agent ${level}: `))
    .map((l) => l.slice(`driftwatch-agent ${level}: `.length));

/** Any phrase of three words said twice in one line (a message that repeats itself reads as noise). */
function repeatedPhrase(line: string): string | null {
  const words = line.toLowerCase().split(/\s+/).map((w) => w.replace(/^[^\w/-]+|[^\w/-]+$/g, '')).filter(Boolean);
  const seen = new Set<string>();
  for (let i = 0; i + 3 <= words.length; i++) {
    const phrase = words.slice(i, i + 3).join(' ');
    if (seen.has(phrase)) return phrase;
    seen.add(phrase);
  }
  return null;
}

/** Every stderr line names its cause once. */
function expectNoRepeats(run: AgentRun) {
  for (const line of run.stderr.split('\n')) expect(repeatedPhrase(line), line).toBeNull();
}

const enroll = (api: string, dir: string, ...extra: string[]) => runAgent(['enroll', '--api', api, '--key', key, ...extra], { stateDir: dir });

/** A directory with one file, a policy watching it, a group (tag = name) with that policy, a server enrolled in it. */
async function coveredServer(name: string, file: string) {
  const watched = join(root, name);
  mkdirSync(watched);
  writeFileSync(join(watched, file), 'a=1\n');
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name, platform: 'linux', targets: [{ path: watched }] } });
  expect(policy.status).toBe(201);
  expect((await stack.api('POST', '/v1/server-groups', { key: admin, body: { name, tag: name, policyIds: [policy.json.id] } })).status).toBe(201);
  const dir = stateDir();
  const enrolled = await enroll(stack.apiUrl, dir, '--tag', name);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  return { watched, dir, enrolled };
}

describe('a wrong --api says so, not "check the enrollment key"', () => {
  it('the API URL with /v1 (a Driftwatch API answers 404 for /v1/v1/...): no API there, check --api, and the address without /v1', async () => {
    const dir = stateDir();
    const run = await enroll(`${stack.apiUrl}/v1`, dir);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    const [line, ...more] = lines(run, 'error');
    expect(more).toEqual([]);
    expect(line).toBe(
      `no Driftwatch API at ${stack.apiUrl}/v1 (got 404 for POST ${stack.apiUrl}/v1/v1/agent/enroll, no such route): check --api (without /v1: ${stack.apiUrl})`,
    );
    expect(run.stderr).not.toMatch(/enrollment key|--key/);
    expect(existsSync(join(dir, 'credential.json'))).toBe(false);
    expectNoRepeats(run);
  });

  it.each([
    ['a 404 page of another server', { status: 404, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<h1>Not Found</h1>' }, '404', 'text/html'],
    ['a 401 of another server (not our credential check)', { status: 401, headers: { 'www-authenticate': 'Basic' }, body: 'login' }, '401', 'no Content-Type'],
    ['a web page answering 200', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html></html>' }, '200', 'text/html instead of JSON'],
    ['a redirect', { status: 301, headers: { location: 'https://example.invalid/v1/agent/enroll' } , body: '' }, '301', 'redirected to https://example.invalid/v1/agent/enroll'],
    ['JSON that is not an enrollment answer', { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }, '200', 'not an enrollment answer'],
  ])('something else at that address, %s: no Driftwatch API there, check --api (exit 3)', async (_, reply, status, why) => {
    answer = reply;
    const dir = stateDir();
    const run = await enroll(otherUrl, dir);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(lines(run, 'error')).toEqual([`no Driftwatch API at ${otherUrl} (got ${status} for POST ${otherUrl}/v1/agent/enroll, ${why}): check --api`]);
    expect(existsSync(join(dir, 'credential.json'))).toBe(false);
    expectNoRepeats(run);
  });

  it('https:// where the API speaks plain HTTP: a TLS line that says so, at once (not retried)', async () => {
    const tlsUrl = stack.apiUrl.replace('http://', 'https://');
    const run = await enroll(tlsUrl, stateDir());
    expect(run.code).toBe(3);
    expect(lines(run, 'error')).toEqual([
      `API at ${tlsUrl} unreachable: TLS failed: the server does not speak TLS on that port (http:// instead of https://?) [EPROTO] (POST /v1/agent/enroll): check --api and that the API is up`,
    ]);
    expectNoRepeats(run);
  });

  it('nothing listening: connection refused, check --api and that the API is up', async () => {
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = await enroll(`http://127.0.0.1:${port}`, stateDir());
    expect(run.code).toBe(3);
    expect(lines(run, 'error')).toEqual([
      `API at http://127.0.0.1:${port} unreachable: connection refused [ECONNREFUSED] (POST /v1/agent/enroll): check --api and that the API is up`,
    ]);
    expectNoRepeats(run);
  });

  it('a wrong key at the right address is still the key (exit 4), named once', async () => {
    const run = await runAgent(['enroll', '--api', stack.apiUrl, '--key', 'dwe_wrong'], { stateDir: stateDir() });
    expect(run.code).toBe(4);
    const [line] = lines(run, 'error');
    expect(line).toMatch(/^POST \/v1\/agent\/enroll answered 401: .+; check --key \(the enrollment key may have been rotated\)$/);
    expect(line).not.toMatch(/--api/);
    expectNoRepeats(run);
  });

  it('after enrollment, an API address gone wrong keeps the scan spooled (exit 3, names the credential file); fixed, it is delivered', async () => {
    const { watched, dir } = await coveredServer('spool-case', 'a.conf');
    expect((await runAgent(['scan'], { stateDir: dir })).code).toBe(0);

    const credentialFile = join(dir, 'credential.json');
    const credential = JSON.parse(readFileSync(credentialFile, 'utf8'));
    writeFileSync(credentialFile, JSON.stringify({ ...credential, apiUrl: `${stack.apiUrl}/v1` }), { mode: 0o600 });
    writeFileSync(join(watched, 'a.conf'), 'a=2\n');
    const offline = await runAgent(['scan'], { stateDir: dir });
    expect(offline.code, offline.stderr).toBe(3);
    expect(offline.json).toMatchObject({ scanId: null, spooled: true });
    expect(lines(offline, 'warn')[0]).toBe(
      `no Driftwatch API at ${stack.apiUrl}/v1 (got 404 for POST ${stack.apiUrl}/v1/v1/agent/check-in, no such route): check apiUrl in ${credentialFile} (without /v1: ${stack.apiUrl}); scanning with the last config received`,
    );
    expectNoRepeats(offline);

    writeFileSync(credentialFile, JSON.stringify(credential), { mode: 0o600 });
    const fixed = await runAgent(['run', '--once'], { stateDir: dir });
    expect(fixed.code, fixed.stderr).toBe(0);
    await stack.drain();
    const events = await stack.api('GET', `/v1/events?serverId=${credential.serverId}`, { key: admin });
    expect(events.json.items.map((e: { path: string; changeType: string }) => [e.path, e.changeType])).toEqual([[join(watched, 'a.conf'), 'modified']]);
  });
});

describe('a server nothing will scan is warned about, at enroll and at scan', () => {
  const CONTRACT_SUMMARY = ['scanId', 'filesScanned', 'added', 'modified', 'removed', 'renamed', 'bytesUploaded'];

  it('a tag no group has: joined Unassigned, which has no policy; scan says so too; exit 0 and the same JSON', async () => {
    const dir = stateDir();
    const enrolled = await enroll(stack.apiUrl, dir, '--tag', 'wbe');
    expect(enrolled.code).toBe(0);
    expect(Object.keys(enrolled.json)).toEqual(['serverId']);
    expect(lines(enrolled, 'warn')).toEqual([
      'no server group has the tag "wbe": this server joined Unassigned',
      'no policy applies to this server: its group Unassigned has none; add one to the group (PATCH /v1/server-groups/grp_unassigned policyIds), or enroll with the tag of a group that has one',
    ]);
    expectNoRepeats(enrolled);

    const scan = await runAgent(['scan'], { stateDir: dir });
    expect(scan.code).toBe(0);
    expect(scan.stdout.trim().split('\n')).toHaveLength(1);
    for (const field of CONTRACT_SUMMARY) expect(scan.json).toHaveProperty(field);
    expect(scan.json.filesScanned).toBe(0);
    expect(lines(scan, 'warn')).toContain('no policy applies to this server: its group Unassigned has none; add one to the group (PATCH /v1/server-groups/grp_unassigned policyIds), or enroll with the tag of a group that has one');
    expectNoRepeats(scan);

    // The config is not sent again (unchanged), yet the next scan still knows the group's name.
    const again = await runAgent(['scan'], { stateDir: dir });
    expect(again.code).toBe(0);
    expect(lines(again, 'warn')).toContain('no policy applies to this server: its group Unassigned has none; add one to the group (PATCH /v1/server-groups/grp_unassigned policyIds), or enroll with the tag of a group that has one');
  });

  it('a tag that matches a group without policies: only the policy warning, with that group', async () => {
    const group = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'Empty web', tag: 'empty-web' } });
    expect(group.status).toBe(201);
    const dir = stateDir();
    const enrolled = await enroll(stack.apiUrl, dir, '--tag', 'empty-web');
    expect(enrolled.code).toBe(0);
    const expected = `no policy applies to this server: its group Empty web has none; add one to the group (PATCH /v1/server-groups/${group.json.id} policyIds), or enroll with the tag of a group that has one`;
    expect(lines(enrolled, 'warn')).toEqual([expected]);
    const once = await runAgent(['run', '--once'], { stateDir: dir });
    expect(once.code).toBe(0);
    expect(lines(once, 'warn')).toEqual([expected]);
  });

  it('a policy that applies: no warning at enroll or scan', async () => {
    const { dir, enrolled } = await coveredServer('covered', 'x.conf');
    const scan = await runAgent(['scan'], { stateDir: dir });
    expect(scan.code).toBe(0);
    expect(scan.json.filesScanned).toBeGreaterThan(0);
    expect([...lines(enrolled, 'warn'), ...lines(scan, 'warn')]).toEqual([]);

    // Deactivated: the credential is what is wrong now, said once (exit 4).
    expect((await stack.api('DELETE', `/v1/servers/${enrolled.json.serverId}`, { key: admin })).status).toBe(204);
    const rejected = await runAgent(['scan'], { stateDir: dir });
    expect(rejected.code).toBe(4);
    expect(lines(rejected, 'error')).toEqual([expect.stringMatching(/^POST \/v1\/agent\/check-in answered 401: .+; enroll again to get a new credential$/)]);
    expect(rejected.stderr).not.toMatch(/deactivated.*deactivated/);
    expectNoRepeats(rejected);
  });
});

// Each case is its own process with its own state dir: they run side by side.
describe.concurrent('the CLI explains itself', () => {
  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const run = await runAgent(['--version'], { stateDir: stateDir() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^driftwatch-agent ${version.replace(/\./g, '\\.')} \\(node \\d+\\.\\d+\\.\\d+\\)\\n$`));
    expect(run.stderr).toBe('');
  });

  it('--help lists every command and every exit code', async () => {
    const run = await runAgent(['--help'], { stateDir: stateDir() });
    expect(run.code).toBe(0);
    for (const command of ['enroll --api URL --key ENROLLMENT_KEY', 'run [--once]', 'scan [--full]', 'status']) expect(run.stdout).toContain(`driftwatch-agent ${command}`);
    const codes = [...run.stdout.matchAll(/^ {2}(\d) {2}\S/gm)].map((m) => Number(m[1]));
    expect(codes).toEqual([0, 1, 2, 3, 4]);
  });

  it.each([
    [['enroll', '--api', 'http://127.0.0.1:1'], 'enroll needs --key', 'enroll'],
    [['enroll', '--api', 'not a url', '--key', 'k'], '--api must be a URL like https://driftwatch.example.com, got "not a url"', 'enroll'],
    [['status', '--stat-dir', 'x'], 'unknown flag for status: --stat-dir (did you mean --state-dir?)', 'status'],
    [['scna'], 'unknown command: scna (did you mean scan?)', null],
    [['run', '--once=yes'], '--once takes no value', 'run'],
    [['enroll', '--api', 'ftp://h', '--key', 'k'], '--api must be an http:// or https:// URL, got "ftp://h"', 'enroll'],
  ])('usage error %j: the error, its one usage line and where to read more (exit 2)', async (argv, message, command) => {
    const run = await runAgent(argv, { stateDir: stateDir() });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const usage = command === 'enroll' ? 'driftwatch-agent enroll --api URL --key ENROLLMENT_KEY [--tag T] [--hostname H] [--state-dir D]'
      : command === 'status' ? 'driftwatch-agent status [--state-dir D]'
      : command === 'run' ? 'driftwatch-agent run [--once] [--state-dir D]'
      : 'driftwatch-agent <enroll|run|scan|status> [flags]';
    const more = command ? `driftwatch-agent ${command} --help` : 'driftwatch-agent --help';
    expect(run.stderr).toBe(`driftwatch-agent: ${message}\nusage: ${usage}\nmore: ${more}\n`);
    expectNoRepeats(run);
  });
});
