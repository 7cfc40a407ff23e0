import { App } from 'aws-cdk-lib';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DriftwatchStack } from '../../infra/driftwatch-stack.ts';

/**
 * cfn-lint (AWS's CloudFormation linter, a Python tool) over the synthesized templates, with default settings
 * and with every optional context value set (kms, CORS, alarm email, stage). It is not on PyPI here and Debian
 * has no package of it, but the machines of this project come with cfn-lint 1.51 in their Python (pyenv);
 * README "Deploy" gives the command for a deployer's machine.
 */
const CONTEXTS: Record<string, Record<string, string>> = {
  default: {},
  'every option': { kms: 'true', corsOrigins: 'https://console.example.com', alarmEmail: 'oncall@example.com', stage: 'staging', logRetentionDays: '90' },
};

/**
 * Warnings accepted, with their reason: W3005 (a DependsOn already implied by a GetAtt) is how CDK itself
 * makes each Lambda function wait for its role's policy; it changes nothing in the deployment order.
 */
const ACCEPTED_WARNINGS: Record<string, string> = { W3005: 'CDK adds DependsOn on the function role beside the GetAtt' };

interface Finding {
  Rule: { Id: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Filename: string;
}

/** The cfn-lint command: on PATH, or in one of pyenv's Pythons. */
function cfnLint(): string {
  try {
    execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' });
    return 'cfn-lint';
  } catch {
    const versions = join(homedir(), '.pyenv', 'versions');
    const found = existsSync(versions) ? readdirSync(versions).map((v) => join(versions, v, 'bin', 'cfn-lint')).find((p) => existsSync(p)) : undefined;
    if (!found) throw new Error('cfn-lint is not installed (pip install cfn-lint, on a machine that reaches PyPI): README "Deploy"');
    return found;
  }
}

const outdir = mkdtempSync(join(tmpdir(), 'driftwatch-cfn-lint-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function synthTemplate(name: string, context: Record<string, string>): string {
  const app = new App({ outdir: join(outdir, name.replace(/\W+/g, '-')), context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new DriftwatchStack(app, 'Driftwatch');
  return join(app.synth().directory, stack.templateFile);
}

describe('cfn-lint', () => {
  it('reports no error on the synthesized templates, and no warning but the accepted ones', async () => {
    const templates = Object.entries(CONTEXTS).map(([name, context]) => synthTemplate(name, context));
    // A control: a queue keeping messages 10 s (SQS's minimum is 60) must be an error, or the lint saw nothing.
    const broken = join(outdir, 'broken.template.json');
    writeFileSync(broken, JSON.stringify({ Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 10 } } } }));
    // Exit status is a bit mask (2 error, 4 warning, 8 informational): read the findings instead.
    const { stdout } = await promisify(execFile)(cfnLint(), ['--format', 'json', '--', ...templates, broken], { maxBuffer: 32 * 1024 * 1024 }).catch(
      (error: { stdout?: string; code?: number }) => {
        if (typeof error.stdout === 'string' && error.stdout.trim().startsWith('[')) return { stdout: error.stdout };
        throw error;
      },
    );
    const all = JSON.parse(stdout) as Finding[];
    expect(all.filter((f) => f.Filename === broken && f.Level === 'Error').length).toBeGreaterThan(0);
    const findings = all.filter((f) => f.Filename !== broken);
    const errors = findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id} ${f.Message}`);
    expect(errors).toEqual([]);
    const warnings = findings.filter((f) => f.Level === 'Warning' && !ACCEPTED_WARNINGS[f.Rule.Id]).map((f) => `${f.Rule.Id} ${f.Message}`);
    expect(warnings).toEqual([]);
  }, 300_000);
});
