import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpApiEvent, lambdaContext } from '../../../test/helpers/events.ts';
import { accessLog } from './access-log.ts';

/** The API function's `request` line under Lambda: it joins API Gateway's access log and names the tenant. */
const app = new Hono()
  .use('*', accessLog)
  .get('/known', (c) => {
    c.set('tenantId' as never, 'ten_42' as never);
    return c.text('ok');
  })
  .get('/anonymous', (c) => c.text('ok'));

function requestLines(calls: ReadonlyArray<readonly unknown[]>): Array<Record<string, unknown>> {
  return calls
    .map((call) => String(call[0]))
    .flatMap((text) => text.split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === 'request');
}

afterEach(() => vi.restoreAllMocks());

describe('access log line', () => {
  it('carries API Gateway\'s request id and the tenant id when the request named one', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const known = httpApiEvent('GET', '/known');
    const anonymous = httpApiEvent('GET', '/anonymous');
    const run = handle(app) as unknown as (event: unknown, context: unknown) => Promise<unknown>;
    await run(known, lambdaContext('api', 30));
    await run(anonymous, lambdaContext('api', 30));
    const [first, second] = requestLines(write.mock.calls);
    expect(first).toMatchObject({ apiRequestId: known.requestContext.requestId, tenantId: 'ten_42', path: '/known', status: 200 });
    expect(second).toMatchObject({ apiRequestId: anonymous.requestContext.requestId, status: 200 });
    expect(second).not.toHaveProperty('tenantId');
  });
});
