import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DestinationPolicy } from '../domain/destination-url.ts';
import { postWebhook } from './webhook-post.ts';

/** The delivery transport against real servers on 127.0.0.1 (the only address these tests talk to). */
const LOCAL: DestinationPolicy = { allowLoopback: true };
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

describe('postWebhook', () => {
  it('gives up on a receiver that does not answer within the timeout', async () => {
    const url = await serve(() => undefined);
    await expect(postWebhook(url, '{}', {}, { timeoutMs: 300, policy: LOCAL })).rejects.toThrow('timed out after 0.3 s');
  });

  it('does not follow a redirect: a 3xx is the answer', async () => {
    let followed = false;
    const url = await serve((req, res) => {
      if (req.url === '/elsewhere') followed = true;
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    expect(await postWebhook(url, '{}', {}, { timeoutMs: 2000, policy: LOCAL })).toMatchObject({ status: 302 });
    expect(followed).toBe(false);
  });

  it('sends the body and headers as given and reports Retry-After', async () => {
    let got: { body: string; signature: string | undefined; type: string | undefined } | undefined;
    const url = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got = { body: Buffer.concat(chunks).toString(), signature: req.headers['webhook-signature'] as string, type: req.headers['content-type'] };
        res.writeHead(503, { 'retry-after': '120' }).end();
      });
    });
    const body = JSON.stringify({ events: ['é'] });
    expect(await postWebhook(url, body, { 'webhook-signature': 'v1,abc' }, { timeoutMs: 2000, policy: LOCAL })).toEqual({ status: 503, statusText: 'Service Unavailable', retryAfterSeconds: 120 });
    expect(got).toEqual({ body, signature: 'v1,abc', type: 'application/json' });
  });

  it('refuses, inside the connection, a name that resolves somewhere the policy forbids (DNS rebinding): nothing is sent', async () => {
    let reached = false;
    const url = await serve((_req, res) => {
      reached = true;
      res.end();
    });
    const port = new URL(url).port;
    // The name passed the check at create (a public address); by delivery time it resolves to a private one.
    const rebound = async () => ['10.0.0.1'];
    await expect(postWebhook(`https://siem.example.com:${port}/hook`, '{}', {}, { timeoutMs: 2000, policy: LOCAL, resolve: rebound })).rejects.toThrow(
      'refused: siem.example.com resolves to 10.0.0.1, a private address',
    );
    // The cloud policy refuses the loopback receiver itself before connecting.
    await expect(postWebhook(url, '{}', {}, { timeoutMs: 2000, policy: { allowLoopback: false } })).rejects.toThrow('refused: only https URLs are allowed');
    await expect(postWebhook(`https://127.0.0.1:${port}/hook`, '{}', {}, { timeoutMs: 2000, policy: { allowLoopback: false } })).rejects.toThrow('refused: 127.0.0.1 is a loopback address');
    expect(reached).toBe(false);
  });

  it('connects to the address it checked: a name that resolves to the loopback receiver under the local policy', async () => {
    const url = await serve((_req, res) => res.writeHead(204).end());
    const port = new URL(url).port;
    expect(await postWebhook(`http://receiver.test:${port}/hook`, '{}', {}, { timeoutMs: 2000, policy: LOCAL, resolve: async () => ['127.0.0.1'] })).toMatchObject({ status: 204 });
  });
});
