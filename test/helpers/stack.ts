import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type LocalStack, type StackOptions } from '../../functions/local/stack.ts';

export interface ApiRequest {
  /** Sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** Sent as JSON (Content-Type application/json unless headers say otherwise). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is, instead of body (CSV, XML, bytes, deliberately broken JSON). */
  raw?: RequestInit['body'];
}

export interface ApiResponse<T = any> {
  status: number;
  /** The parsed body when it is JSON (application/json or application/problem+json), else undefined. */
  json: T;
  text: string;
  bytes: Buffer;
  headers: Headers;
}

export type Api = <T = any>(method: string, path: string, request?: ApiRequest) => Promise<ApiResponse<T>>;

export interface TestStack extends LocalStack {
  api: Api;
}

/**
 * A local stack for one test file: port 0, a fresh temporary data dir (removed by stop() unless
 * `keepDataDir`), the minute timer off so only explicit ticks run the schedule. Start it in beforeAll
 * and stop it in afterAll; one per file, since each file runs in its own process.
 */
export async function startTestStack(opts: Partial<StackOptions> & { keepDataDir?: boolean } = {}): Promise<TestStack> {
  const { keepDataDir, ...stackOptions } = opts;
  const dataDir = stackOptions.dataDir ?? (await mkdtemp(join(tmpdir(), 'driftwatch-test-')));
  const stack = await startStack({ port: 0, scheduleTimer: false, ...stackOptions, dataDir });
  return {
    ...stack,
    api: apiClient(stack.apiUrl),
    stop: async () => {
      await stack.stop();
      if (!keepDataDir && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A tiny client over real fetch: `api('POST', '/v1/api-keys', { key, body })`. */
export function apiClient(baseUrl: string): Api {
  return async (method, path, request = {}) => {
    const headers = new Headers(request.headers);
    if (request.key !== undefined) headers.set('authorization', `Bearer ${request.key}`);
    let body: RequestInit['body'];
    if (request.raw !== undefined) {
      body = request.raw;
    } else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: any;
    if (/json/i.test(response.headers.get('content-type') ?? '') && text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: response.status, json, text, bytes, headers: response.headers };
  };
}
