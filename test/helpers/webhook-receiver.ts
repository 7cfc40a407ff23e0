import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One POST a receiver got: its headers (lower-case) and its raw body, exactly the bytes sent. */
export interface Received {
  headers: Record<string, string>;
  body: string;
  json: any;
  /** The status the receiver answered with (undefined while held). */
  status?: number;
}

/** What the receiver does with a request: answer with a status, or hold it open without answering. */
export type Behaviour = (request: Received) => number | 'hold';

export interface WebhookReceiver {
  url: string;
  requests: Received[];
  /** Requests held open right now. */
  held: () => number;
  behave(behaviour: Behaviour): void;
  /** Drops every held request's connection (the sender sees it fail). */
  dropHeld(): void;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 (a free port) that records every request; answers 200 unless told otherwise. */
export async function startReceiver(behaviour: Behaviour = () => 200): Promise<WebhookReceiver> {
  let behave = behaviour;
  const requests: Received[] = [];
  const holding = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const received: Received = { headers, body, json };
      requests.push(received);
      const answer = behave(received);
      if (answer === 'hold') {
        holding.add(res);
        res.on('close', () => holding.delete(res));
        return;
      }
      received.status = answer;
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    held: () => holding.size,
    behave: (next) => {
      behave = next;
    },
    dropHeld: () => {
      for (const res of holding) res.socket?.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it is true (or fails after `timeoutMs`): for things another process does in its own time. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
