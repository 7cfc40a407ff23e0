import picomatch from 'picomatch';
import type { Criterion } from '../model/rule.ts';
import type { RuleField } from '../model/enums.ts';

/**
 * Auto-labeling rules, the pure part: validating criteria and matching events. Criteria are ANDed.
 * `glob` uses the target matcher's engine and options (picomatch, `dot: true`): a pattern with a `/`
 * matches the whole path, one without matches the file name at any depth, as target excludes do.
 * Windows-style paths (`C:\x` or `C:/x`) compare with `/` separators and without case.
 */

/** The event fields a rule reads (user and process come from real-time sources that report them). */
export interface MatchableEvent {
  path: string;
  changeType: string;
  hostname: string;
  severity: string;
  detectedAt: string;
  user?: string | undefined;
  process?: string | undefined;
}

/** A rule that can label events. */
export interface MatchableRule {
  policyId: string;
  criteria: readonly Criterion[];
  createdAt: string;
  deactivatedAt?: string | undefined;
  deleted?: boolean | undefined;
}

const TIME_FIELDS: ReadonlySet<RuleField> = new Set(['detectedAt']);
const ENUM_VALUES: Partial<Record<RuleField, readonly string[]>> = {
  changeType: ['added', 'removed', 'modified', 'renamed'],
  severity: ['critical', 'normal'],
};

/** Why a criterion cannot be used, or null when it is valid. */
export function criterionProblem(criterion: Criterion): string | null {
  const { field, operator, value } = criterion;
  if (TIME_FIELDS.has(field)) {
    if (!['eq', 'neq', 'gt', 'lt'].includes(operator)) return `${field} takes eq, neq, gt or lt`;
    if (Number.isNaN(Date.parse(value))) return `${field} needs an ISO-8601 time, not "${value}"`;
    return null;
  }
  if (operator === 'gt' || operator === 'lt') return `${operator} compares times: only detectedAt takes it`;
  const allowed = ENUM_VALUES[field];
  if (allowed && (operator === 'eq' || operator === 'neq') && !allowed.includes(value)) return `${field} is one of ${allowed.join(', ')}`;
  if (operator === 'glob') {
    try {
      picomatch.makeRe(value, { dot: true, windows: false });
    } catch {
      return `"${value}" is not a valid glob`;
    }
  }
  return null;
}

const isWindowsPath = (path: string) => /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
const slashes = (path: string) => path.replace(/\\/g, '/');

type Test = (event: MatchableEvent) => boolean;

function compileCriterion({ field, operator, value }: Criterion): Test {
  if (TIME_FIELDS.has(field)) {
    const at = Date.parse(value);
    const cmp = { eq: (t: number) => t === at, neq: (t: number) => t !== at, gt: (t: number) => t > at, lt: (t: number) => t < at }[operator as 'eq'];
    return (event) => cmp(Date.parse(event[field as 'detectedAt']));
  }
  const read = (event: MatchableEvent): string | undefined => event[field as Exclude<RuleField, 'detectedAt'>];
  if (field === 'path') return pathTest(operator, value);
  const text = (event: MatchableEvent) => read(event);
  switch (operator) {
    case 'eq':
      return (e) => text(e) === value;
    case 'neq':
      return (e) => text(e) !== undefined && text(e) !== value;
    case 'contains':
      return (e) => text(e)?.includes(value) ?? false;
    case 'startsWith':
      return (e) => text(e)?.startsWith(value) ?? false;
    case 'endsWith':
      return (e) => text(e)?.endsWith(value) ?? false;
    case 'glob': {
      const re = picomatch.makeRe(value, { dot: true, windows: false });
      return (e) => {
        const v = text(e);
        return v !== undefined && re.test(v);
      };
    }
    default:
      return () => false;
  }
}

/** Path tests: windows paths compare with `/` and without case, so a rule may name them either way. */
function pathTest(operator: Criterion['operator'], value: string): Test {
  const windows = isWindowsPath(value);
  const norm = (s: string, win: boolean) => (win ? slashes(s).toLowerCase() : s);
  const want = norm(value, windows);
  const glob =
    operator === 'glob'
      ? picomatch.makeRe(want.includes('/') ? want.replace(/^\/+/, '') : want, { dot: true, windows: false, nocase: windows })
      : undefined;
  return (event) => {
    const path = norm(event.path, windows || isWindowsPath(event.path));
    switch (operator) {
      case 'eq':
        return path === want;
      case 'neq':
        return path !== want;
      case 'contains':
        return path.includes(want);
      case 'startsWith':
        return path.startsWith(want);
      case 'endsWith':
        return path.endsWith(want);
      case 'glob':
        return want.includes('/') ? glob!.test(path.replace(/^\/+/, '')) : glob!.test(path.slice(path.lastIndexOf('/') + 1));
      default:
        return false;
    }
  };
}

/** A rule's criteria as one predicate (every criterion must hold). */
export function compileCriteria(criteria: readonly Criterion[]): Test {
  const tests = criteria.map(compileCriterion);
  return (event) => tests.every((test) => test(event));
}

/**
 * Whether a rule may label an event at all: same policy, and detected while the rule was active
 * (after it was created, before it was deactivated; a deleted rule labels nothing). Deciding by the
 * event's detection time, not by when the ingest runs, makes a redelivered ingest decide the same.
 */
export function ruleCovers(rule: MatchableRule, event: { policyId: string; detectedAt: string }): boolean {
  if (rule.deleted || rule.policyId !== event.policyId) return false;
  if (event.detectedAt <= rule.createdAt) return false;
  return rule.deactivatedAt === undefined || event.detectedAt < rule.deactivatedAt;
}
