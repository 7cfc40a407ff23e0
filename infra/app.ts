import { App } from 'aws-cdk-lib';
import { DriftwatchStack } from './driftwatch-stack.ts';

/**
 * The production CDK app (`npx cdk synth|deploy`). Account and region come from the CLI's profile; when
 * they are undefined the stack is environment-agnostic and synthesizes offline.
 */
const app = new App();
new DriftwatchStack(app, 'Driftwatch', {
  description: 'Driftwatch file integrity monitoring: HTTP API, SQS workers, schedule, DynamoDB',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
