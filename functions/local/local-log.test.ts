import { describe, expect, it } from 'vitest';
import { createLocalLog, logLevelFromEnv } from './local-log.ts';

function capture(level: Parameters<typeof createLocalLog>[0]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = createLocalLog(level, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { log, out, err };
}

describe('local log', () => {
  it('prints what happened on stdout and what went wrong on stderr, one human line each', () => {
    const { log, out, err } = capture('info');
    log('info', 'scan scn_1 ingested', { server: 'srv_1', missing: undefined });
    log('warn', 'mail sink error', { error: new Error('disk full') });
    log('debug', 'GET /v1/events 200 3 ms');
    expect(out).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d scan scn_1 ingested \(server=srv_1\)\n$/)]);
    expect(err).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d warn: mail sink error \(error="disk full"\)\n$/)]);
  });

  it('shows debug lines only at debug, and nothing at silent', () => {
    const debug = capture('debug');
    debug.log('debug', 'GET /v1/events 200 3 ms');
    expect(debug.out).toHaveLength(1);
    const silent = capture('silent');
    silent.log('error', 'boom');
    silent.log('info', 'hello');
    expect([...silent.out, ...silent.err]).toEqual([]);
  });

  it('reads DRIFTWATCH_LOG: level names, 1/true/yes for debug, the default when unset, an error otherwise', () => {
    expect(logLevelFromEnv(undefined, 'info')).toBe('info');
    expect(logLevelFromEnv(' DEBUG ', 'info')).toBe('debug');
    expect(logLevelFromEnv('1', 'info')).toBe('debug');
    expect(logLevelFromEnv('silent', 'info')).toBe('silent');
    expect(() => logLevelFromEnv('loud', 'info')).toThrow('DRIFTWATCH_LOG must be one of silent, error, warn, info, debug, not "loud"');
  });
});
