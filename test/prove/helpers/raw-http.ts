import { request } from 'node:http';

/** One answer, with the raw bytes: hostile requests are judged by what actually came back. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: any;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given: `..`, `%2F` and bytes that are not UTF-8 reach the server unnormalized (fetch would resolve them). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** The loopback address to send from (127.0.0.2 is another source to the server on 127.0.0.1). */
  localAddress?: string;
}

/** A request that has not answered within this many ms is a hang, and fails the test that sent it. */
export const HANG_MS = 15_000;

/**
 * Sends one request over node:http on the loopback, with the path and body bytes exactly as given (no URL
 * normalization, no re-encoding). Rejects on a hang.
 */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
    const headers: Record<string, string | number> = { ...req.headers };
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) headers['content-length'] = body.length;
    const outgoing = request({ host: base.hostname, port: base.port, method: req.method, path: req.path, headers, timeout: HANG_MS, localAddress: req.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const text = bytes.toString('utf8');
        let json: any;
        if (/json/i.test(String(res.headers['content-type'] ?? ''))) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes, text, json });
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${req.method} ${req.path.slice(0, 200)}: no answer within ${HANG_MS} ms (a hang)`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
