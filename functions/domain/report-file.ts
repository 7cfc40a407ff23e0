import { stringify } from 'csv-stringify/sync';
import { Zip, ZipDeflate } from 'fflate';
import type { LabelRecord } from '../model/label.ts';

/**
 * The weekly report file: one CSV in a zip. The CSV is RFC 4180 (csv-stringify: a field holding a comma,
 * a quote or a line break is quoted, quotes doubled; CRLF between records), UTF-8 with a byte order mark
 * (so spreadsheets read it as UTF-8), the contract's columns first. Values are written as they are (a
 * spreadsheet user opening a note that starts with `=` sees a formula: the data is not altered to stop it).
 * Rows arrive page by page and compressed bytes leave as they are made (fflate, deflate level 9), so a
 * report of any size is built in bounded memory; the same rows give the same bytes.
 */
export const REPORT_COLUMNS = ['appliedAt', 'labelName', 'note', 'appliedBy', 'hostname', 'path', 'changeType', 'action', 'eventId', 'labelId', 'serverId', 'detectedAt'] as const;

/** One CSV row of a label history record, in REPORT_COLUMNS order (`appliedBy` as `user:<key id>` or `rule:<rule id>`). */
export function reportRow(record: LabelRecord): string[] {
  return [
    record.appliedAt,
    record.labelName,
    record.note ?? '',
    `${record.appliedBy.type}:${record.appliedBy.id}`,
    record.event.hostname,
    record.event.path,
    record.event.changeType,
    record.action,
    record.eventId,
    record.labelId,
    record.serverId,
    record.event.detectedAt,
  ];
}

/** The zip's name, and the CSV's inside it: ASCII only, from the policy id and the window's UTC days. */
export function reportFileName(policyId: string, from: string, to: string): string {
  const day = (iso: string) => iso.slice(0, 10);
  return `driftwatch-report-${policyId.replace(/[^A-Za-z0-9_-]/g, '_')}-${day(from)}-to-${day(to)}`;
}

const utf8 = new TextEncoder();

/** Builds the zipped CSV: `add` pages of rows, then `finish`; compressed bytes go to `onData` as they are made. */
export class ReportZipWriter {
  private readonly zip: Zip;
  private readonly file: ZipDeflate;
  private started = false;
  private failure: unknown;
  rows = 0;

  /** `modifiedAt` is the entry's time in the zip (the report time: the same rows give the same bytes). */
  constructor(baseName: string, modifiedAt: Date, onData: (chunk: Uint8Array) => void) {
    this.zip = new Zip((error, data) => {
      if (error) this.failure = error;
      else onData(data);
    });
    this.file = new ZipDeflate(`${baseName}.csv`, { level: 9 });
    this.file.mtime = modifiedAt;
    this.zip.add(this.file);
  }

  /** Appends rows (REPORT_COLUMNS order); the first call also writes the byte order mark and the header. */
  add(rows: readonly string[][]): void {
    const text = stringify(rows as string[][], { record_delimiter: 'windows', bom: !this.started, header: !this.started, columns: [...REPORT_COLUMNS] });
    this.started = true;
    this.rows += rows.length;
    this.push(utf8.encode(text), false);
  }

  /** Ends the CSV and the zip. */
  finish(): void {
    if (!this.started) this.add([]);
    this.push(new Uint8Array(0), true);
    this.zip.end();
    this.check();
  }

  private push(bytes: Uint8Array, final: boolean): void {
    this.file.push(bytes, final);
    this.check();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}
