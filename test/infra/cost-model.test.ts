import { describe, expect, it } from 'vitest';
import { fixedMonth, fleetMonth, serverMonth, total, xrayMonth, type ServerDay } from '../../infra/cost-model.ts';

/** The arithmetic README "Cost per server" shows, on figures small enough to check by hand. */
const day: ServerDay = {
  apiRequests: 288,
  lambda: { api: { invocations: 288, meanMs: 20, memoryMb: 1024 }, 'scan-ingest': { invocations: 1, meanMs: 400, memoryMb: 512 } },
  wru: 100,
  rru: 200,
  sqsRequests: 4,
  mails: 1,
  logBytes: 1024 ** 2,
  responseBytes: 0,
};
const line = (lines: ReturnType<typeof serverMonth>, item: string) => lines.find((l) => l.item.startsWith(item))!.usd;

describe('cost model', () => {
  it('prices a server-month line by line (30 days)', () => {
    const lines = serverMonth(day, 1024 ** 3 / 100);
    expect(line(lines, 'API Gateway')).toBeCloseTo((288 * 30) / 1e6, 9);
    expect(line(lines, 'Lambda requests')).toBeCloseTo((289 * 30 * 0.2) / 1e6, 9);
    // 288 x 20 ms x 1 GB + 1 x 400 ms x 0.5 GB = 5.96 GB-s a day.
    expect(line(lines, 'Lambda duration')).toBeCloseTo(5.96 * 30 * 0.0000133334, 9);
    expect(line(lines, 'DynamoDB writes')).toBeCloseTo((100 * 30 * 0.625) / 1e6, 9);
    expect(line(lines, 'DynamoDB reads')).toBeCloseTo((200 * 30 * 0.125) / 1e6, 9);
    expect(line(lines, 'DynamoDB storage')).toBeCloseTo(0.45 / 100, 9);
    expect(line(lines, 'SES')).toBeCloseTo(0.003, 9);
    expect(line(lines, 'CloudWatch Logs')).toBeCloseTo((30 / 1024) * 0.5, 9);
    expect(total(lines)).toBeCloseTo(lines.reduce((s, l) => s + l.usd, 0), 12);
  });

  it('samples X-Ray as Lambda does: the first request each second, then 5%', () => {
    expect(xrayMonth(1000).usd).toBeCloseTo((1000 * 5) / 1e6, 9);
    expect(xrayMonth(2_592_000 + 1_000_000).usd).toBeCloseTo(((2_592_000 + 50_000) * 5) / 1e6, 9);
  });

  it('shares fixed costs and X-Ray over a fleet', () => {
    const fixed = fixedMonth({ tick: { invocations: 1, meanMs: 100, memoryMb: 1024, rru: 10, wru: 0 }, queues: 6, alarmMetrics: 30, secrets: 2 });
    expect(fixed.find((l) => l.item.startsWith('SQS idle'))!.usd).toBeCloseTo((6 * 15 * 43_200 * 0.4) / 1e6, 9);
    const one = fleetMonth(day, 0, 1, fixed);
    const thousand = fleetMonth(day, 0, 1000, fixed);
    expect(thousand.perServer).toBeLessThan(one.perServer);
    expect(thousand.usd).toBeCloseTo(1000 * total(serverMonth(day, 0)) + total(fixed) + xrayMonth(1000 * 289 * 30 + 43_200).usd, 6);
  });
});
