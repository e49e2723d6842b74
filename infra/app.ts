// The CDK app: `npx cdk synth` / `npx cdk deploy --all`. Settings come from context
// (see infra/config.ts and docs/aws.md); account and region from the CLI when it has them.
import { App } from 'aws-cdk-lib';
import { createBerth } from './berth.ts';
import { FEATURE_FLAGS } from './feature-flags.ts';

const app = new App({ context: FEATURE_FLAGS });
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
createBerth(app, { env: account && region ? { account, region } : undefined });
app.synth();
