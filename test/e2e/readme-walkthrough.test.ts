import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runWalkthrough } from '../../scripts/readme-walkthrough.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Issue 18: the README's walk-through runs as written, block by block, each in its own shell, from a fresh
 * copy of the repository (scripts/readme-walkthrough.ts; CI also runs it with a real `npm ci`). Beyond every
 * block exiting 0 with no problem answer, what a new user is told to expect is what they get.
 */
describe('the README and docs', () => {
  it('link only to files of the repository (a clone has no ../shared)', () => {
    const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean));
    const pages = [...tracked].filter((file) => file.endsWith('.md'));
    expect(pages).toContain('README.md');
    for (const page of pages) {
      for (const [, target] of readFileSync(join(REPO, page), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const file = normalize(join(dirname(page), target!.split('#')[0]!));
        expect(tracked.has(file) || [...tracked].some((t) => t.startsWith(`${file}/`)), `${page} links to ${target}`).toBe(true);
      }
    }
  });
});

describe('the README walk-through', () => {
  it('runs block by block from a fresh copy, and each block shows what the README says it shows', async () => {
    const results = await runWalkthrough();
    const ran = results.filter((r) => r.mode !== 'skip');
    expect(ran.length).toBeGreaterThanOrEqual(5);
    expect(results.filter((r) => r.mode === 'skip').map((r) => r.note)).toEqual(['it runs the walk-through itself', 'needs an AWS account']);

    const start = results.find((r) => r.mode === 'background')!;
    expect(start.output).toMatch(/driftwatch listening on http:\/\/127\.0\.0\.1:\d+/);

    const walk = results.find((r) => r.code.includes('driftwatch-agent enroll'))!;
    const summaries = walk.output.split('\n').filter((line) => line.startsWith('{"scanId"')).map((line) => JSON.parse(line));
    expect(summaries).toHaveLength(2);
    expect(summaries[0]).toMatchObject({ added: 0, modified: 0, removed: 0 });
    expect(summaries[1]).toMatchObject({ added: 1, modified: 1, removed: 1 });
    const events = JSON.parse(walk.output.split('\n').filter((line) => line.startsWith('{"items"')).pop()!);
    expect(events.items.map((e: { changeType: string; path: string }) => `${e.changeType} ${e.path.replace(/^.*\/demo\//, '')}`).sort()).toEqual([
      'added ssh/authorized_keys',
      'modified ssh/sshd_config',
      'removed motd',
    ]);
    expect(events.items.every((e: { severity: string }) => e.severity === 'critical')).toBe(true);

    const imports = results.find((r) => r.code.includes('targets/import'))!;
    expect(imports.output).toMatch(/"dryRun":true/);
    expect(imports.output).toMatch(/"path":"\/etc\/ssh"/);
    expect(imports.output).toMatch(/"serverId":"srv_/);

    const mail = results.find((r) => r.code.includes('_local/mail'))!;
    expect(mail.output).toMatch(/"to":\["sec@example.com"\]/);

    // The labeled event reached the receiver on this machine: the destination's health says so.
    const sync = results.find((r) => r.code.includes('/send-now'))!;
    expect(sync.output).toMatch(/"lastSuccessAt":"\d{4}-/);
    expect(sync.output).toMatch(/"pendingCount":0/);
  }, 300_000);
});
