import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DriftwatchStack } from '../../infra/driftwatch-stack.ts';
import { NAG_ACKNOWLEDGEMENTS } from '../../infra/nag-acknowledgements.ts';

/**
 * cdk-nag's AwsSolutions and Serverless packs over the stack, as CDK validation plugins: synthesis fails on
 * any finding that infra/nag-acknowledgements.ts does not acknowledge with a reason. (cfn-lint, a Python
 * tool, is not installable from this project's registries: README "Deploy" gives its command and result.)
 */
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function synthWithNag(context: Record<string, string>): void {
  const outdir = mkdtempSync(join(tmpdir(), 'driftwatch-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  new DriftwatchStack(app, 'Driftwatch');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
}

describe('cdk-nag (AwsSolutions, Serverless)', () => {
  it.each([
    ['default settings', {}],
    ['the kms flag, CORS and an alarm email', { kms: 'true', corsOrigins: 'https://console.example.com', alarmEmail: 'oncall@example.com' }],
  ])('finds nothing unacknowledged with %s', (_, context) => {
    expect(() => synthWithNag(context)).not.toThrow();
  });

  it('acknowledges each finding with a reason', () => {
    for (const a of NAG_ACKNOWLEDGEMENTS) expect(a.reason.length, a.id).toBeGreaterThan(40);
  });
});
