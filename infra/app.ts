import { App } from 'aws-cdk-lib';
import { DriftwatchStack } from './driftwatch-stack.ts';
import { stageOf } from './settings.ts';

/**
 * The production CDK app (`npx cdk synth|deploy`). Account and region come from the CLI's profile; when
 * they are undefined the stack is environment-agnostic and synthesizes offline. `-c stage=<name>` deploys a
 * second, separate copy (`Driftwatch-<name>`) beside the main one.
 */
const app = new App();
const stage = stageOf(app);
new DriftwatchStack(app, stage ? `Driftwatch-${stage}` : 'Driftwatch', {
  description: 'Driftwatch file integrity monitoring: HTTP API, SQS workers, schedule, DynamoDB',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
