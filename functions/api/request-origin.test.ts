import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { describe, expect, it } from 'vitest';
import { httpApiEvent, lambdaContext } from '../../test/helpers/events.ts';
import { requestOrigin } from './request-origin.ts';

/** The same route under both runtimes the API runs in: Lambda behind API Gateway, and the local node server. */
const app = new Hono().get('/origin', (c) => c.json(requestOrigin(c)));
const spoofed = { 'x-forwarded-for': '198.51.100.66', 'user-agent': 'driftwatch-agent/1.0.0 node/20' };

describe('requestOrigin', () => {
  it('in Lambda: the source address API Gateway saw, whatever X-Forwarded-For says', async () => {
    // hono declares its own event types, which differ from @types/aws-lambda in details (body null vs absent).
    const event = httpApiEvent('GET', '/origin', { sourceIp: '203.0.113.7', headers: spoofed }) as unknown as Parameters<ReturnType<typeof handle>>[0];
    const result = await handle(app)(event, lambdaContext('api', 30));
    expect(JSON.parse(result.body ?? '')).toEqual({ sourceIp: '203.0.113.7', userAgent: 'driftwatch-agent/1.0.0 node/20' });
  });

  it('under the node server (the local stack): the socket peer, whatever X-Forwarded-For says', async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/origin`, { headers: { ...spoofed, 'user-agent': 'x'.repeat(300) } });
      expect(await res.json()).toEqual({ sourceIp: '127.0.0.1', userAgent: 'x'.repeat(256) });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
