import type { ScanCost } from './context.ts';
import type { Figure, Proc, Row, Unit } from './types.ts';

/** Formatting of figures, ratios and the printed table. */

export function fmt(value: number, unit: Unit): string {
  switch (unit) {
    case 's':
      return `${value < 10 ? value.toFixed(3) : value.toFixed(2)} s`;
    case 'ms':
      return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;
    case 'B':
      return `${Math.round(value).toLocaleString('en-US')} B`;
    case 'KiB':
      return `${value.toFixed(1)} KiB`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    case 'count':
      return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2);
    case 'req/s':
      return `${value.toFixed(0)} req/s`;
    case 'MB/s':
      return `${value.toFixed(0)} MB/s`;
    case '%':
      return `${value.toFixed(0)} %`;
    case 'WCU':
    case 'RCU':
      return `${value.toFixed(1)} ${unit}`;
    case 'USD':
      return `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
  }
}

/** "1.66x faster" when lower is better and value < anchor; "0.60x (slower)" otherwise. */
export function ratioText(value: number, anchor: number, lowerIsBetter = true): string {
  if (!(value > 0) || !(anchor > 0)) return 'n/a';
  const r = lowerIsBetter ? anchor / value : value / anchor;
  if (r >= 1) return `${r >= 100 ? r.toFixed(0) : r.toFixed(2)}x ${lowerIsBetter ? 'faster' : 'more'}`;
  return `${r.toFixed(2)}x (${lowerIsBetter ? 'slower' : 'less'}: ${(1 / r).toFixed(2)}x the anchor)`;
}

/** A row comparing a timed figure with its anchor. */
export function versus(id: string, figure: Figure, anchor: Figure | undefined, extra: Partial<Row> = {}): Row {
  const row: Row = { id, ...figure, ...extra };
  if (anchor) {
    row.anchor = anchor;
    row.ratio = ratioText(figure.value, anchor.value);
  }
  return row;
}

function procText(p: Proc | undefined): string {
  if (!p) return '';
  const cpu = p.cpuS === null ? '?' : p.cpuS.toFixed(2);
  const rss = p.maxRssMiB === null ? '?' : p.maxRssMiB.toFixed(0);
  return `${cpu} s / ${rss} MiB`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function grid(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i]!)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

/** The cost of every agent scan the bench ran (also a Markdown table). */
export function costTable(costs: ScanCost[]): string {
  const ddb = (d: ScanCost['ddbApi']) => `${d.requests} (${d.wcu}${d.gsiWcu ? `+${d.gsiWcu}` : ''} W / ${d.rcu} R)`;
  return grid(
    ['scan', 'entries', 'until delivered', 'of which API', 'end to end', 'cpu', 'peak RSS', 'upload', 'requests', 'DynamoDB API req (WCU+GSI/RCU)', 'DynamoDB ingest req (WCU+GSI/RCU)', 'ingest'],
    costs.map((c) => [
      c.scan,
      c.filesScanned.toLocaleString('en-US'),
      c.deliveredS === null ? '?' : `${c.deliveredS.toFixed(2)} s`,
      c.apiS === null ? '?' : `${c.apiS.toFixed(2)} s`,
      `${c.wallS.toFixed(2)} s`,
      c.cpuS === null ? '?' : `${c.cpuS.toFixed(2)} s`,
      c.maxRssMiB === null ? '?' : `${c.maxRssMiB.toFixed(0)} MiB`,
      `${c.bytesUploaded.toLocaleString('en-US')} B`,
      String(c.requests),
      ddb(c.ddbApi),
      ddb(c.ddbIngest),
      c.ingestS === null ? '?' : `${(c.ingestS * 1000).toFixed(0)} ms`,
    ]),
  );
}

/** The plain-text table printed at the end (also a Markdown table). */
export function table(rows: Row[]): string {
  const header = ['figure', 'value', 'cpu / peak RSS', 'anchor', 'anchor value', 'anchor cpu / RSS', 'ratio', 'target'];
  const lines = rows.map((r) => [
    r.label,
    fmt(r.value, r.unit),
    procText(r.proc),
    r.anchor?.label ?? '',
    r.anchor ? fmt(r.anchor.value, r.anchor.unit) : '',
    procText(r.anchor?.proc),
    r.ratio ?? '',
    r.target ? `${r.target.met ? 'MET' : 'NOT MET'}: ${r.target.text}` : '',
  ]);
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...lines.map((l) => l[i]!.length))));
  const row = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i]!)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}
