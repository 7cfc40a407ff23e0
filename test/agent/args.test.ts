import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../agent/args.ts';

describe('parseArgs', () => {
  it('reads enroll flags in both --flag value and --flag=value forms', () => {
    const args = parseArgs(['enroll', '--api', 'http://127.0.0.1:8080', '--key=k1', '--tag', 'web', '--state-dir', '/tmp/x']);
    expect(args).toEqual({
      command: 'enroll',
      flags: { api: 'http://127.0.0.1:8080', key: 'k1', tag: 'web', 'state-dir': '/tmp/x' },
    });
  });

  it('reads switches', () => {
    expect(parseArgs(['run', '--once'])).toEqual({ command: 'run', flags: { once: true } });
    expect(parseArgs(['scan', '--full', '--state-dir', 'd'])).toEqual({ command: 'scan', flags: { full: true, 'state-dir': 'd' } });
    expect(parseArgs(['status'])).toEqual({ command: 'status', flags: {} });
  });

  it('answers a help request', () => {
    expect(parseArgs(['--help'])).toEqual({ help: true });
    expect(parseArgs(['help', 'run'])).toEqual({ help: true, command: 'run' });
    expect(parseArgs(['scan', '-h'])).toEqual({ help: true, command: 'scan' });
  });

  it.each([
    [[], 'missing command'],
    [['frobnicate'], 'unknown command'],
    [['status', '--once'], 'unknown flag'],
    [['run', '--once=yes'], 'takes no value'],
    [['enroll', '--api', 'http://x'], 'needs --key'],
    [['enroll', '--key', 'k'], 'needs --api'],
    [['enroll', '--api', '--key', 'k'], '--api needs a value'],
    [['enroll', '--api', 'http://x', '--key'], '--key needs a value'],
    [['enroll', '--api=', '--key', 'k'], '--api needs a value'],
    [['status', 'extra'], 'unexpected argument'],
    [['status', '--state-dir', 'a', '--state-dir', 'b'], 'given twice'],
    [['status', '--constructor'], 'unknown flag'],
  ])('rejects %j (%s)', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
