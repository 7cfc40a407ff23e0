import { parse } from 'csv-parse/sync';
import type { Criterion } from '../model/rule.ts';
import type { RuleField, RuleOperator } from '../model/enums.ts';
import { criterionProblem } from './rule-match.ts';

/**
 * Tanium's rules CSV (CONTRACT "Rules CSV"): `name,description,note,monitor_id,label_id,field,operator,value`.
 * A row with a name starts a rule (`monitor_id` names the policy, `label_id` the label, each by id or by
 * name); rows with an empty name add criteria to the rule above. Tanium's field names map to ours
 * (`file` -> path, `event_timestamp` -> detectedAt, `process`, `user`, ...), and so do its operators and
 * change types. A rule with any bad row is not created (a rule missing a criterion would label more than
 * meant): its bad row is reported with its line number and why. A file that is not CSV at all, or lacks
 * the header, is one error and nothing is created.
 */
export const RULES_CSV_HEADER = ['name', 'description', 'note', 'monitor_id', 'label_id', 'field', 'operator', 'value'] as const;

export interface RuleRow {
  /** Line of the row that starts the rule (1-based, header is line 1). */
  line: number;
  name: string;
  description?: string;
  note?: string;
  /** Policy id or name, as written. */
  policy: string;
  /** Label id or name, as written. */
  label: string;
  criteria: Criterion[];
}

export interface ParsedRulesCsv {
  rules: RuleRow[];
  skipped: Array<{ line: number; reason: string }>;
}

/** Thrown when the file as a whole cannot be read: nothing may be imported. */
export class RulesCsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RulesCsvError';
  }
}

const FIELDS: Record<string, RuleField> = {
  file: 'path',
  path: 'path',
  file_path: 'path',
  filepath: 'path',
  event_timestamp: 'detectedAt',
  timestamp: 'detectedAt',
  detectedat: 'detectedAt',
  detected_at: 'detectedAt',
  process: 'process',
  process_path: 'process',
  user: 'user',
  username: 'user',
  user_name: 'user',
  hostname: 'hostname',
  host: 'hostname',
  computer_name: 'hostname',
  changetype: 'changeType',
  change_type: 'changeType',
  event_type: 'changeType',
  type: 'changeType',
  severity: 'severity',
};

const OPERATORS: Record<string, RuleOperator> = {
  eq: 'eq',
  equals: 'eq',
  '=': 'eq',
  '==': 'eq',
  neq: 'neq',
  ne: 'neq',
  not_eq: 'neq',
  noteq: 'neq',
  '!=': 'neq',
  contains: 'contains',
  startswith: 'startsWith',
  starts_with: 'startsWith',
  begins_with: 'startsWith',
  endswith: 'endsWith',
  ends_with: 'endsWith',
  glob: 'glob',
  matches: 'glob',
  gt: 'gt',
  '>': 'gt',
  after: 'gt',
  lt: 'lt',
  '<': 'lt',
  before: 'lt',
};

/** Tanium's change types, as our events name them. */
const CHANGE_TYPES: Record<string, string> = { create: 'added', created: 'added', delete: 'removed', deleted: 'removed', write: 'modified', permission: 'modified', rename: 'renamed' };

function criterionOf(fieldText: string, operatorText: string, valueText: string): Criterion | string {
  const field = FIELDS[fieldText.trim().toLowerCase()];
  if (!field) return `unknown field "${fieldText}" (use ${[...new Set(Object.keys(FIELDS))].slice(0, 9).join(', ')}, ...)`;
  const operator = OPERATORS[operatorText.trim().toLowerCase()];
  if (!operator) return `unknown operator "${operatorText}" (use eq, neq, contains, startsWith, endsWith, glob, gt, lt)`;
  let value = valueText;
  if (value === '') return `criterion ${fieldText} ${operatorText} has no value`;
  if (field === 'changeType') value = CHANGE_TYPES[value.toLowerCase()] ?? value.toLowerCase();
  if (field === 'severity') value = value.toLowerCase();
  const criterion: Criterion = { field, operator, value };
  return criterionProblem(criterion) ?? criterion;
}

export function parseRulesCsv(text: string): ParsedRulesCsv {
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, bom: true }) as never;
  } catch (error) {
    throw new RulesCsvError(`not a readable CSV file: ${(error as Error).message}`);
  }
  const [header, ...body] = rows;
  const names = header?.record.map((h) => h.trim().toLowerCase()) ?? [];
  if (RULES_CSV_HEADER.some((column, i) => names[i] !== column)) {
    throw new RulesCsvError(`the first line must be the header ${RULES_CSV_HEADER.join(',')}`);
  }
  const rules: RuleRow[] = [];
  const skipped: ParsedRulesCsv['skipped'] = [];
  let current: (RuleRow & { bad?: { line: number; reason: string } }) | undefined;
  const finish = () => {
    if (!current) return;
    if (current.bad) skipped.push({ line: current.bad.line, reason: `rule "${current.name}" (line ${current.line}) not created: ${current.bad.reason}` });
    else if (current.criteria.length === 0) skipped.push({ line: current.line, reason: `rule "${current.name}" has no criteria (add rows with field, operator and value below it)` });
    else {
      const { bad: _bad, ...rule } = current;
      rules.push(rule);
    }
    current = undefined;
  };
  for (const { record, info } of body) {
    const cell = (i: number) => (record[i] ?? '').trim();
    const line = info.lines - record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    if (record.every((f) => f.trim() === '')) continue;
    const [name, description, note, policy, label, field, operator, value] = RULES_CSV_HEADER.map((_, i) => cell(i));
    if (name) {
      finish();
      current = { line, name: name.slice(0, 200), policy: policy!, label: label!, criteria: [], ...(description ? { description } : {}), ...(note ? { note } : {}) };
      if (!policy) current.bad = { line, reason: 'monitor_id (the policy) is empty' };
      else if (!label) current.bad = { line, reason: 'label_id (the label) is empty' };
      if (!field && !operator && !value) continue;
    } else if (!current) {
      skipped.push({ line, reason: 'a criterion row with no rule above it (the first row of a rule has its name)' });
      continue;
    }
    if (current.bad) continue;
    const criterion = criterionOf(field!, operator!, record[7] ?? '');
    if (typeof criterion === 'string') current.bad = { line, reason: criterion };
    else current.criteria.push(criterion);
  }
  finish();
  return { rules, skipped: skipped.sort((a, b) => a.line - b.line) };
}
