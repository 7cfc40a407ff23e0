import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { LabelRecord } from '../model/label.ts';
import { REPORT_COLUMNS, reportFileName, reportRow, ReportZipWriter } from './report-file.ts';

const record = (i: number, note: string | null): LabelRecord => ({
  id: `lhr_${i}`,
  action: 'applied',
  eventId: `evt_${i}`,
  labelId: 'lbl_expected',
  labelName: 'Expected, planned',
  note,
  appliedBy: { type: 'user', id: 'key_1' },
  appliedAt: `2026-11-2${i}T10:00:00.000Z`,
  policyId: 'pol_1',
  serverId: 'srv_1',
  event: { path: `/etc/ünïcödé ${i}.conf`, hostname: 'web-1', changeType: 'modified', detectedAt: '2026-11-20T09:00:00.000Z' },
});

/** Builds a report from pages of records and answers the zip. */
function build(pages: LabelRecord[][], to = '2026-11-29T00:00:00.000Z'): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new ReportZipWriter(reportFileName('pol_1', '2026-11-22T00:00:00.000Z', to), new Date(to), (c) => chunks.push(c));
  for (const page of pages) zip.add(page.map(reportRow));
  zip.finish();
  return Buffer.concat(chunks);
}

describe('the report file', () => {
  const tricky = 'rolled back, "urgent"\nsee ticket 42';
  const records = [record(1, tricky), record(2, null), record(3, '=SUM(A1)')];

  it('is a zip of one UTF-8 CSV that a CSV parser reads back to the same rows (commas, quotes, newlines, non-ASCII)', () => {
    const files = unzipSync(build([records.slice(0, 2), records.slice(2)]));
    expect(Object.keys(files)).toEqual(['driftwatch-report-pol_1-2026-11-22-to-2026-11-29.csv']);
    const bytes = Object.values(files)[0]!;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the byte order mark
    const rows = parse(Buffer.from(bytes), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows).toEqual(records.map((r) => Object.fromEntries(REPORT_COLUMNS.map((c, i) => [c, reportRow(r)[i]]))));
    expect(rows[0]).toMatchObject({ appliedAt: '2026-11-21T10:00:00.000Z', labelName: 'Expected, planned', note: tricky, appliedBy: 'user:key_1', hostname: 'web-1', path: '/etc/ünïcödé 1.conf', changeType: 'modified' });
  });

  it('quotes as RFC 4180 says, with CRLF between records', () => {
    const text = Buffer.from(Object.values(unzipSync(build([[records[0]!]])))[0]!).toString('utf8');
    expect(text).toContain('"rolled back, ""urgent""\nsee ticket 42"');
    expect(text.split('\r\n')[0]).toBe(`\ufeff${REPORT_COLUMNS.join(',')}`);
  });

  it('has the header alone when there are no rows', () => {
    const rows = parse(Buffer.from(Object.values(unzipSync(build([])))[0]!), { bom: true });
    expect(rows).toEqual([[...REPORT_COLUMNS]]);
  });

  it('gives the same bytes for the same pages of rows (a retried report writes the same parts)', () => {
    expect(Buffer.from(build([records.slice(0, 1), records.slice(1)]))).toEqual(Buffer.from(build([records.slice(0, 1), records.slice(1)])));
  });
});
