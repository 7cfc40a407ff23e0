import { beforeAll, describe, expect, it } from 'vitest';
import { apiFunction } from '../../functions/api/api.function.ts';
import { QUEUES } from '../../functions/queues/queues.ts';
import { scheduleFunction } from '../../functions/schedule/schedule.function.ts';
import type { FunctionAccess } from '../../functions/shared/function-access.ts';
import { REPO_ROOT } from '../../infra/driftwatch-stack.ts';
import { analyzeCodeAccess, type CodeAccess } from './code-access.ts';

/**
 * Least privilege that cannot drift: every function's declared access (what infra grants) must be exactly
 * what the code reachable from its handler uses. A new `DeleteCommand` three calls below a worker, a new
 * `enqueue` in a use case the API calls, a secret read in a helper: each fails here, naming the path that
 * reaches it, until the declaration says so (and infra grants it); a grant the code no longer needs fails too.
 */
interface Declared extends FunctionAccess {
  name: string;
  entry: string;
  /** Queues whose declaration names this function among its senders. */
  sendsTo: readonly string[];
}

const sendsTo = (name: string) => QUEUES.filter((q) => (q.senders as readonly string[]).includes(name)).map((q) => q.name);
const DECLARED: Declared[] = [
  { ...apiFunction, sendsTo: sendsTo('api') },
  { ...scheduleFunction, sendsTo: sendsTo('schedule') },
  ...QUEUES.map((q) => ({ ...q, entry: q.worker, sendsTo: sendsTo(q.name) })),
];

/** A handler written for this test: it reaches DeleteItem only through an entity, a helper and a callback. */
const FIXTURE = { name: 'fixture', entry: 'test/infra/fixtures/drifted.handler.ts' };

/** What the declaration lacks or grants beyond the code, one line each (with the path that reaches a lack). */
export function accessDrift(declared: Declared, found: CodeAccess): string[] {
  const problems: string[] = [];
  const compare = (what: string, has: readonly string[], uses: Map<string, string[]>) => {
    for (const [item, path] of uses) if (!has.includes(item)) problems.push(`${declared.name}: uses ${what} ${item} but does not declare it; reached by ${path.join(' -> ')}`);
    for (const item of has) if (!uses.has(item)) problems.push(`${declared.name}: declares ${what} ${item} but its code never uses it`);
  };
  compare('table action', declared.tableAccess, found.table);
  compare('secret', declared.secrets ?? [], found.secrets);
  compare('send to queue', declared.sendsTo, found.sends);
  if (found.mail && !declared.sendsMail) problems.push(`${declared.name}: sends mail but does not declare sendsMail; reached by ${found.mail.join(' -> ')}`);
  if (!found.mail && declared.sendsMail) problems.push(`${declared.name}: declares sendsMail but its code never sends mail`);
  return problems;
}

let found: Record<string, CodeAccess>;
beforeAll(() => {
  // One TypeScript program for every entry: ~5 s of CPU to build it, a few more to walk the handlers.
  found = analyzeCodeAccess(REPO_ROOT, Object.fromEntries([...DECLARED, FIXTURE].map((d) => [d.name, d.entry])));
}, 240_000);

describe('declared access matches the code', () => {
  it('covers the API, the schedule and the worker of every queue', () => {
    expect(DECLARED.map((d) => d.name)).toEqual(['api', 'schedule', ...QUEUES.map((q) => q.name)]);
  });

  it.each(DECLARED.map((d) => [d.name, d] as const))('%s: table actions, secrets, mail and queues sent to are exactly what its code uses', (name, declared) => {
    expect(accessDrift(declared, found[name]!)).toEqual([]);
  });

  it('no function scans the table', () => {
    for (const d of DECLARED) expect(d.tableAccess, d.name).not.toContain('Scan');
  });
});

describe('the analysis catches drift', () => {
  const fixtureDeclared: Declared = { ...FIXTURE, tableAccess: ['GetItem'], sendsTo: [] };

  it('finds a DeleteItem reached through a helper, a callback and an entity method, with the path to it', () => {
    const drift = accessDrift(fixtureDeclared, found.fixture!);
    const deleteLine = drift.find((line) => line.includes('uses table action DeleteItem'));
    expect(deleteLine).toBeDefined();
    expect(deleteLine).toContain('remove (functions/store/entity.ts)');
    expect(deleteLine).toContain('deleteItem (functions/store/db.ts)');
  });

  it('finds the dynamic import of a mailer, secret reads (by secret() and destructured) and a send to an undeclared queue', () => {
    const drift = accessDrift(fixtureDeclared, found.fixture!);
    expect(drift.some((line) => line.startsWith('fixture: sends mail but does not declare sendsMail'))).toBe(true);
    expect(drift.some((line) => line.startsWith('fixture: uses secret DRIFTWATCH_MASTER_SECRET'))).toBe(true);
    expect(drift.some((line) => line.startsWith('fixture: uses secret WEBHOOK_SECRET_KEY'))).toBe(true);
    expect(drift.some((line) => line.startsWith('fixture: uses send to queue alerts'))).toBe(true);
  });

  it('reports a grant the code never uses, and does not invent commands an entity could send but this code does not', () => {
    expect(accessDrift(fixtureDeclared, found.fixture!)).toContain('fixture: declares table action GetItem but its code never uses it');
    expect([...found.fixture!.table.keys()]).not.toContain('PutItem');
    expect([...found.fixture!.table.keys()]).not.toContain('Query');
  });
});
