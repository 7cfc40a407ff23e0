import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP proxy in front of the API that can stop one request in its tracks: it forwards
 * everything until `shouldHold` says yes, then keeps that request open (never forwarded) and
 * resolves `held`. Tests use it to kill an agent at a precise point of an upload.
 */
export interface HoldProxy {
  url: string;
  held: Promise<string>;
  /** Paths forwarded so far, in order. */
  forwarded: string[];
  close(): Promise<void>;
}

export async function startHoldProxy(target: string, shouldHold: (method: string, path: string, forwarded: readonly string[]) => boolean): Promise<HoldProxy> {
  const forwarded: string[] = [];
  const open = new Set<ServerResponse>();
  let release: (path: string) => void = () => {};
  const held = new Promise<string>((resolve) => (release = resolve));
  let holding = false;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    if (!holding && shouldHold(req.method ?? 'GET', path, forwarded)) {
      holding = true;
      open.add(res);
      req.resume();
      release(path);
      return;
    }
    forwarded.push(path);
    const upstream = request(new URL(path, target), { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    forwarded,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
