// Which adapters the builder agent picks from its environment: the builder task's variables on
// AWS, what `npm run up` gives it locally, and a one-line refusal for anything else.
import { describe, expect, it } from 'vitest';
import { chooseAdapters, makeAdapters } from '../../agents/builder/adapters.ts';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { S3SourceArchives } from '../../shared/aws/s3-sources.ts';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { FileBuildLogs, FileSourceArchives, LocalRegistry } from '../../shared/builds/local-adapters.ts';

/** The builder task definition's environment (infra/stacks/fleet-stack.ts). */
const AWS = {
  TABLE_NAME: 'Berth-State-Table', AWS_REGION: 'eu-west-1', BERTH_REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  BERTH_REPOSITORY_PREFIX: 'berth', BERTH_SOURCES_BUCKET: 'berth-sources', BERTH_SECRETS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/k',
};
/** What agents/up/platform.ts gives the agent. */
const LOCAL = { TABLE_NAME: 'berth', DYNAMODB_ENDPOINT: 'http://127.0.0.1:7800', PAAS_HOME: '/home/me/.berth', BERTH_REGISTRY_HOST: '127.0.0.1:7500' };

describe('chooseAdapters', () => {
  it.each([
    ['the builder task on AWS', AWS, { kind: 'aws', tableName: 'Berth-State-Table', region: 'eu-west-1', registry: AWS.BERTH_REGISTRY, repositoryPrefix: 'berth', sourcesBucket: 'berth-sources' }],
    ['AWS without a prefix: berth', { ...AWS, BERTH_REPOSITORY_PREFIX: undefined }, expect.objectContaining({ kind: 'aws', repositoryPrefix: 'berth' })],
    ['npm run up', LOCAL, { kind: 'local', tableName: 'berth', dynamoEndpoint: 'http://127.0.0.1:7800', home: '/home/me/.berth', registryHost: '127.0.0.1:7500' }],
    ['local without an endpoint', { ...LOCAL, DYNAMODB_ENDPOINT: '' }, expect.objectContaining({ kind: 'local', dynamoEndpoint: undefined })],
  ])('%s', (_name, env, choice) => {
    expect(chooseAdapters(env)).toEqual(choice);
  });

  it.each([
    ['no registry at all', { TABLE_NAME: 't' }, 'no registry is set: BERTH_REGISTRY (ECR, on AWS) or BERTH_REGISTRY_HOST with PAAS_HOME (npm run up)'],
    ['both registries', { ...AWS, BERTH_REGISTRY_HOST: '127.0.0.1:7500' }, 'both BERTH_REGISTRY (ECR, on AWS) and BERTH_REGISTRY_HOST (the local registry) are set; set one'],
    ['AWS without the sources bucket', { ...AWS, BERTH_SOURCES_BUCKET: '' }, 'BERTH_SOURCES_BUCKET is not set (uploaded sources, on AWS)'],
    ['AWS without a region', { ...AWS, AWS_REGION: undefined }, 'AWS_REGION is not set (the region of the table, ECR and S3)'],
    ['AWS without the table', { ...AWS, TABLE_NAME: undefined }, 'TABLE_NAME is not set (the state table)'],
    ['local without PAAS_HOME', { ...LOCAL, PAAS_HOME: undefined }, 'PAAS_HOME is not set (logs and uploaded sources, locally)'],
  ])('refuses %s in one line', (_name, env, message) => {
    expect(() => chooseAdapters(env)).toThrow(message);
    expect(message).not.toContain('\n');
  });
});

describe('makeAdapters', () => {
  it('on AWS: ECR, logs in the table, uploads in S3', () => {
    const a = makeAdapters(chooseAdapters(AWS));
    expect([a.registry, a.logs, a.sources].map((x) => x.constructor)).toEqual([EcrRegistry, DynamoBuildLogs, S3SourceArchives]);
    expect(a.registry.repository('demo', 'web')).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/demo/web');
  });

  it('locally: the loopback registry, logs and uploads under PAAS_HOME', () => {
    const a = makeAdapters(chooseAdapters(LOCAL));
    expect([a.registry, a.logs, a.sources].map((x) => x.constructor)).toEqual([LocalRegistry, FileBuildLogs, FileSourceArchives]);
    expect(a.registry.repository('demo', 'web')).toBe('127.0.0.1:7500/demo/web');
  });
});
