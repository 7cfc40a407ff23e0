import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { AGENT_BIN, runAgent, startAgent, type AgentRun } from '../helpers/agent.ts';
import { eventsOf, setUpServer } from '../helpers/fim.ts';
import { startHoldProxy } from '../helpers/hold-proxy.ts';

/**
 * Issue 19, faults of the agent's own host: the agent killed in the middle of a tree upload resumes on its next
 * run, asking `have` and sending only what the server lacks, and ends with the right events; a full disk under
 * its state dir (a 64 KiB tmpfs) fails the scan with a clear error, leaves its state readable, and the next run
 * with space works.
 */
let stack: TestStack;
const root = mkdtempSync(join(tmpdir(), 'dw-agent-faults-'));

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Exchange {
  path: string;
  request: Buffer;
  response: Buffer;
}

/** A plain proxy to `target` that keeps every request and response body (decompressed), in order. */
async function startRecorder(target: string): Promise<{ url: string; exchanges: Exchange[]; close: () => Promise<void> }> {
  const exchanges: Exchange[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
        const back: Buffer[] = [];
        up.on('data', (c: Buffer) => back.push(c));
        up.on('end', () => {
          const response = Buffer.concat(back);
          exchanges.push({ path: req.url ?? '/', request: req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body, response });
          res.writeHead(up.statusCode ?? 502, up.headers).end(response);
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const nodesIn = (e: Exchange): string[] => (JSON.parse(e.request.toString('utf8')).nodes as unknown[]).map((n) => JSON.stringify(n));

describe('the agent killed in the middle of a tree upload', () => {
  it('resumes on its next run: `have` answers the nodes the server has, only the rest are sent, and the events are right', async () => {
    const T = join(root, 'resume');
    // Enough entries for several node requests (at most 1 MiB each, agent/sync.ts).
    for (let d = 0; d < 40; d++) {
      mkdirSync(join(T, `directory-with-a-long-name-${d}`), { recursive: true });
      for (let f = 0; f < 300; f++) writeFileSync(join(T, `directory-with-a-long-name-${d}`, `configuration-file-${f}.conf`), `value=${d}.${f}\n`);
    }
    const recorder = await startRecorder(stack.apiUrl);
    // Hold the second node upload: the first is stored, the scan is half uploaded.
    const proxy = await startHoldProxy(recorder.url, (method, path, forwarded) => method === 'POST' && path.endsWith('/nodes') && forwarded.some((p) => p.endsWith('/nodes')));
    try {
      const server = await setUpServer(stack, root, 'resume', [{ path: T }], { apiUrl: proxy.url });
      const killed = startAgent(['scan'], { stateDir: server.stateDir });
      await proxy.held;
      killed.child.kill('SIGKILL');
      await killed.done;
      const firstRun = recorder.exchanges.filter((e) => e.path.endsWith('/nodes'));
      expect(firstRun).toHaveLength(1);
      const storedBefore = new Set(firstRun.flatMap(nodesIn));
      expect(storedBefore.size).toBeGreaterThan(0);
      const before = recorder.exchanges.length;

      const rerun = await runAgent(['scan'], { stateDir: server.stateDir });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.json).toMatchObject({ filesScanned: 40 * 300 + 40 + 1 });
      const second = recorder.exchanges.slice(before);
      const asked = second.filter((e) => e.path.endsWith('/have'));
      expect(asked.length).toBeGreaterThan(0);
      const askedHashes = asked.flatMap((e) => JSON.parse(e.request.toString('utf8')).hashes as string[]);
      const missing = new Set(asked.flatMap((e) => JSON.parse(e.response.toString('utf8')).missing as string[]));
      // The server has what the killed run stored: asked about, not missing.
      expect(missing.size).toBeLessThan(askedHashes.length);
      const resent = second.filter((e) => e.path.endsWith('/nodes')).flatMap(nodesIn);
      expect(resent.length).toBeGreaterThan(0);
      expect(resent.filter((n) => storedBefore.has(n))).toEqual([]);
      await stack.drain();

      // The baseline is whole on the server: ten changed files are ten events, nothing else.
      for (let f = 0; f < 10; f++) writeFileSync(join(T, 'directory-with-a-long-name-7', `configuration-file-${f}.conf`), `changed=${f}\n`);
      const changed = await runAgent(['scan'], { stateDir: server.stateDir });
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.json).toMatchObject({ added: 0, modified: 10, removed: 0, renamed: 0 });
      await stack.drain();
      const events = await eventsOf(stack, server.serverId);
      expect(events.map((e) => e.path).sort()).toEqual(Array.from({ length: 10 }, (_, f) => join(T, 'directory-with-a-long-name-7', `configuration-file-${f}.conf`)).sort());
    } finally {
      await proxy.close();
      await recorder.close();
    }
  }, 240_000);
});

/** Mounts a tmpfs of `size` on `dir` (we run as root); false when the system refuses. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a full disk under the agent state dir', () => {
  const stateDir = join(root, 'full-state');
  let mounted = false;
  afterAll(() => {
    if (mounted) execFileSync('umount', [stateDir]);
  });

  it('fails the scan with a clear error, leaves its state readable, and the next run with space works', async () => {
    const T = join(root, 'full');
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(T, `d${d}`), { recursive: true });
      for (let f = 0; f < 200; f++) writeFileSync(join(T, `d${d}`, `f${f}.conf`), `value=${d}.${f}\n`);
    }
    mkdirSync(stateDir, { recursive: true });
    mounted = mountTmpfs(stateDir, '64k');
    const server = await setUpServer(stack, root, 'full', [{ path: T }], { agent: { stateDir } });
    const enrollment = readFileSync(join(stateDir, 'credential.json'), 'utf8');

    // Without the mount (no root), a file-size limit on the agent gives the same failure of a write (EFBIG).
    const full: AgentRun = mounted ? await runAgent(['scan'], { stateDir }) : await runLimited(stateDir);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/ENOSPC|no space left|EFBIG|file too large/i);
    expect(full.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
    // Its files are whole: still enrolled as the same server, its state readable.
    expect(readFileSync(join(stateDir, 'credential.json'), 'utf8')).toBe(enrollment);
    expect(JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'))).toMatchObject({ lastScan: null });
    expect(readdirSync(stateDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    if (mounted) execFileSync('mount', ['-o', 'remount,size=64m', stateDir]);
    const next = await runAgent(['scan'], { stateDir });
    expect(next.code, next.stderr).toBe(0);
    expect(next.json).toMatchObject({ filesScanned: 20 * 200 + 20 + 1 });
    await stack.drain();
    const scans = await stack.api('GET', `/v1/scans?serverId=${server.serverId}`, { key: stack.credentials.adminKey });
    expect((scans.json.items as Array<{ status: string }>).some((s) => s.status === 'completed')).toBe(true);
  }, 120_000);
});

/** `agent scan` under `ulimit -f 128` (SIGXFSZ ignored, so a write past it fails with EFBIG instead of killing the agent). */
async function runLimited(stateDir: string): Promise<AgentRun> {
  const child = spawn('/bin/sh', ['-c', `trap '' XFSZ; ulimit -f 128; exec "${process.execPath}" "${AGENT_BIN}" scan --state-dir "${stateDir}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr, json: undefined };
}
