import { describe, expect, it } from 'vitest';
import { compileCriteria, criterionProblem, ruleCovers, type MatchableEvent } from './rule-match.ts';
import type { Criterion } from '../model/rule.ts';

const event = (over: Partial<MatchableEvent> = {}): MatchableEvent => ({
  path: '/etc/nginx/sites/app.conf',
  changeType: 'modified',
  hostname: 'web-1',
  severity: 'normal',
  detectedAt: '2026-12-01T12:00:00.000Z',
  ...over,
});
const matches = (criteria: Criterion[], e = event()) => compileCriteria(criteria)(e);

describe('rule criteria', () => {
  it('ANDs its criteria', () => {
    expect(matches([{ field: 'path', operator: 'startsWith', value: '/etc/nginx' }, { field: 'changeType', operator: 'eq', value: 'modified' }])).toBe(true);
    expect(matches([{ field: 'path', operator: 'startsWith', value: '/etc/nginx' }, { field: 'changeType', operator: 'eq', value: 'added' }])).toBe(false);
  });

  it('globs as target patterns do: with a / from the root, without one on the name at any depth', () => {
    expect(matches([{ field: 'path', operator: 'glob', value: '/etc/**/*.conf' }])).toBe(true);
    expect(matches([{ field: 'path', operator: 'glob', value: '/etc/*.conf' }])).toBe(false);
    expect(matches([{ field: 'path', operator: 'glob', value: '*.conf' }])).toBe(true);
    expect(matches([{ field: 'path', operator: 'glob', value: '*.log' }])).toBe(false);
    expect(matches([{ field: 'hostname', operator: 'glob', value: 'web-*' }])).toBe(true);
  });

  it('compares Windows paths with either slash and without case', () => {
    const win = event({ path: 'C:\\Program Files\\App1\\app1.exe' });
    expect(matches([{ field: 'path', operator: 'contains', value: 'C:/Program Files/app1' }], win)).toBe(true);
    expect(matches([{ field: 'path', operator: 'eq', value: 'c:\\program files\\app1\\APP1.EXE' }], win)).toBe(true);
  });

  it('compares detectedAt as a time', () => {
    expect(matches([{ field: 'detectedAt', operator: 'gt', value: '2026-12-01T11:00:00Z' }, { field: 'detectedAt', operator: 'lt', value: '2026-12-01T13:00:00+00:00' }])).toBe(true);
    expect(matches([{ field: 'detectedAt', operator: 'gt', value: '2026-12-01T12:00:00Z' }])).toBe(false);
  });

  it('user and process match only events that report them', () => {
    expect(matches([{ field: 'user', operator: 'eq', value: 'deploy' }])).toBe(false);
    expect(matches([{ field: 'user', operator: 'neq', value: 'deploy' }])).toBe(false);
    expect(matches([{ field: 'process', operator: 'endsWith', value: '/ansible' }], event({ process: '/usr/bin/ansible' }))).toBe(true);
  });

  it('refuses criteria that cannot work', () => {
    expect(criterionProblem({ field: 'path', operator: 'gt', value: '/a' })).toMatch(/only detectedAt/);
    expect(criterionProblem({ field: 'detectedAt', operator: 'contains', value: '2026' })).toMatch(/takes eq, neq, gt or lt/);
    expect(criterionProblem({ field: 'detectedAt', operator: 'gt', value: 'soon' })).toMatch(/ISO-8601/);
    expect(criterionProblem({ field: 'changeType', operator: 'eq', value: 'write' })).toMatch(/one of added/);
    expect(criterionProblem({ field: 'path', operator: 'glob', value: '/etc/*.conf' })).toBeNull();
  });
});

describe('which events a rule may label', () => {
  const rule = { policyId: 'p1', criteria: [], createdAt: '2026-12-01T10:00:00.000Z' };
  it('only its policy\'s events detected while it is active', () => {
    expect(ruleCovers(rule, { policyId: 'p1', detectedAt: '2026-12-01T10:00:00.001Z' })).toBe(true);
    expect(ruleCovers(rule, { policyId: 'p1', detectedAt: '2026-12-01T09:59:59.999Z' })).toBe(false);
    expect(ruleCovers(rule, { policyId: 'p2', detectedAt: '2026-12-01T11:00:00.000Z' })).toBe(false);
    const deactivated = { ...rule, deactivatedAt: '2026-12-01T12:00:00.000Z' };
    expect(ruleCovers(deactivated, { policyId: 'p1', detectedAt: '2026-12-01T11:00:00.000Z' })).toBe(true);
    expect(ruleCovers(deactivated, { policyId: 'p1', detectedAt: '2026-12-01T12:00:00.000Z' })).toBe(false);
    expect(ruleCovers({ ...rule, deleted: true }, { policyId: 'p1', detectedAt: '2026-12-01T11:00:00.000Z' })).toBe(false);
  });
});
