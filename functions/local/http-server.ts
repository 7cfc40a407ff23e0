import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The port a user asked for is taken: `npm start` says so and which variable to set. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is in use: set PORT`);
    this.name = 'PortInUseError';
  }
}

/** Listens on 127.0.0.1 (0 picks a free port); resolves with the port, or rejects with PortInUseError. */
export function listenLocal(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes an HTTP server: idle keep-alive sockets at once, busy ones after a grace period. */
export function closeHttpServer(server: Server, graceMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close((error) => {
      clearTimeout(force);
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
