import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { closeHttpServer, listenLocal } from './http-server.ts';
import type { LocalLog } from './local-log.ts';
import type { LocalService } from './service.ts';

type FetchHandler = (request: Request, env: unknown) => Response | Promise<Response>;

/**
 * The HTTP front on 127.0.0.1:<port>, bound first so a busy port fails the start at once
 * (PortInUseError) before anything else is opened. Until serve() hands it the real handler it answers
 * 503. At debug level it logs one line per request: method, path, status, duration (never headers
 * or bodies: they carry keys).
 */
export class HttpService implements LocalService {
  readonly name = 'http';
  port = 0;
  private handler: FetchHandler | undefined;
  private readonly server: Server;

  constructor(private readonly o: { port: number; log: LocalLog }) {
    this.server = createAdaptorServer({ fetch: (request: Request, env: unknown) => this.fetch(request, env) }) as Server;
    // Longer than any client's idle pool timeout, so a client never reuses a socket the server just closed.
    this.server.keepAliveTimeout = 65_000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await listenLocal(this.server, this.o.port);
  }

  /** From now on requests go to `handler`. */
  serve(handler: FetchHandler): void {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    if (this.server.listening) await closeHttpServer(this.server);
  }

  private async fetch(request: Request, env: unknown): Promise<Response> {
    if (!this.handler) {
      return new Response(JSON.stringify({ type: 'https://driftwatch.dev/problems/starting', title: 'Starting', status: 503, detail: 'The local stack is still starting.' }), {
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      });
    }
    const started = performance.now();
    const response = await this.handler(request, env);
    const url = new URL(request.url);
    this.o.log('debug', `${request.method} ${url.pathname}${url.search} ${response.status} ${Math.round(performance.now() - started)} ms`);
    return response;
  }
}
