// A pod on an ECS host that takes variables from a Secret: the values go to Secrets Manager
// (one secret per Berth Secret, `berth/<project>/<secret>`, a version derived from the values)
// and the task definition names them in `secrets`, pinned to that version, never in
// `environment`. Requests and responses as documented in the Secrets Manager API Reference
// (CreateSecret, PutSecretValue) and the ECS Developer Guide page "Pass Secrets Manager secrets
// through Amazon ECS environment variables" (valueFrom `arn:…:secret:name:json-key:version-stage:version-id`).
// A deleted project's secrets go with it: ListSecrets (Filters `name`, a case-insensitive prefix,
// and `tag-key`; SecretList entries with Name, ARN and Tags; NextToken) and DeleteSecret
// (ForceDeleteWithoutRecovery) as the Secrets Manager API Reference documents them.
import { DescribeTaskDefinitionCommand, ECSClient, ListTasksCommand, RegisterTaskDefinitionCommand, StartTaskCommand } from '@aws-sdk/client-ecs';
import { CreateSecretCommand, DeleteSecretCommand, ListSecretsCommand, PutSecretValueCommand, ResourceExistsException, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsPodSecrets, versionOf } from '../../shared/aws/ecs-pod-secrets.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';
import { createProject } from '../../shared/project/create.ts';
import { requestProjectDeletion } from '../../shared/project/deletion.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { freshTable } from '../support/dynamo.ts';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const INSTANCE = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c';
const TD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-pod-demo_web:7';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/demo/db-AbCdEf';
const KMS = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const PW = 'ecs-pw-4e7a';
const spec: PodSpecForHost = {
  project: 'demo',
  deployment: 'web',
  revision: 3,
  pod: 'web-3-x7k2p',
  image: 'registry.example/berth/demo/web@sha256:abc',
  env: [
    { name: 'GREETING', value: 'hi' },
    { name: 'DB_PASSWORD', value: PW, secretKeyRef: { name: 'db', key: 'password' } },
    { name: 'DB_USER', value: 'shop', secretKeyRef: { name: 'db', key: 'user' } },
  ],
  ports: [],
  resources: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 },
  uid: 1_000_120_000,
};
const VERSION = versionOf({ password: PW, user: 'shop' });
const inputs = <T>(mock: { commandCalls(c: never): { args: [{ input: T }] }[] }, c: unknown) => mock.commandCalls(c as never).map((x) => x.args[0].input);

function pods(withSecrets = true) {
  return new EcsPodContainers({
    client: new ECSClient({ region: 'eu-west-1' }),
    cluster: 'berth-fleet',
    containerInstanceArn: INSTANCE,
    region: 'eu-west-1',
    executionRoleOf: (project: string) => `arn:aws:iam::123456789012:role/berth/projects/berth-${project}`,
    ...(withSecrets ? { secrets: new EcsPodSecrets({ client: new SecretsManagerClient({ region: 'eu-west-1' }), kmsKeyId: KMS }) } : {}),
  });
}

beforeEach(() => {
  ecs.reset();
  sm.reset();
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
  ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD, status: 'ACTIVE' } });
  ecs.on(StartTaskCommand).resolves({ tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/berth-fleet/0a1b', lastStatus: 'PENDING', containers: [{ name: 'web', image: spec.image }] }], failures: [] });
});

describe('Secrets of pods on ECS', () => {
  it('the first time: CreateSecret with the values used, then a task definition naming them by pinned version', async () => {
    sm.on(CreateSecretCommand).resolves({ ARN: SECRET_ARN, Name: 'berth/demo/db', VersionId: VERSION });
    await pods().ensurePod(spec);
    expect(inputs(sm, CreateSecretCommand)).toEqual([
      {
        Name: 'berth/demo/db',
        SecretString: JSON.stringify({ password: PW, user: 'shop' }),
        ClientRequestToken: VERSION,
        KmsKeyId: KMS,
        Description: 'Berth Secret db of project demo, as its pods use it',
        Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'demo' }],
      },
    ]);
    const registered = inputs<any>(ecs, RegisterTaskDefinitionCommand)[0];
    const container = registered.containerDefinitions[0];
    expect(container.environment).toEqual([{ name: 'GREETING', value: 'hi' }]);
    expect(container.secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: `${SECRET_ARN}:password::${VERSION}` },
      { name: 'DB_USER', valueFrom: `${SECRET_ARN}:user::${VERSION}` },
    ]);
    expect(JSON.stringify(registered)).not.toContain(PW);
    expect(VERSION).toMatch(/^[0-9a-f]{64}$/);
  });

  it('later: PutSecretValue of the same secret with a version id of the values (the same values, the same version)', async () => {
    sm.on(CreateSecretCommand).rejects(new ResourceExistsException({ message: 'The operation failed because the secret berth/demo/db already exists.', $metadata: {} }));
    sm.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN, Name: 'berth/demo/db', VersionId: VERSION, VersionStages: ['AWSCURRENT'] });
    await pods().ensurePod(spec);
    expect(inputs(sm, PutSecretValueCommand)).toEqual([{ SecretId: 'berth/demo/db', SecretString: JSON.stringify({ password: PW, user: 'shop' }), ClientRequestToken: VERSION }]);
    expect(inputs<any>(ecs, RegisterTaskDefinitionCommand)[0].containerDefinitions[0].secrets[0].valueFrom).toBe(`${SECRET_ARN}:password::${VERSION}`);
    expect(versionOf({ user: 'shop', password: PW })).toBe(VERSION);
    expect(versionOf({ user: 'shop', password: 'other' })).not.toBe(VERSION);
  });

  it('a host without Secrets Manager refuses the pod and registers nothing: never a value in environment', async () => {
    await expect(pods(false).ensurePod(spec)).rejects.toMatchObject({ code: 'SecretsNotServed' });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(StartTaskCommand)).toHaveLength(0);
  });

  it('Secret and ConfigMap files are not served on ECS hosts yet: refused with a reason, nothing started', async () => {
    const files = { ...spec, env: [], volumes: [{ name: 'c', mountPath: '/etc/c', readOnly: true, files: [{ path: 'a', content: Buffer.from('x'), mode: 0o644 }] }] };
    await expect(pods().ensurePod(files)).rejects.toMatchObject({ code: 'VolumesNotServed' });
    expect(ecs.commandCalls(StartTaskCommand)).toHaveLength(0);
  });
});

describe('a deleted project\'s pod secrets', () => {
  const secret = (name: string, project: string, managed = 'true') => ({
    ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`,
    Name: name,
    Tags: [{ Key: 'berth:managed', Value: managed }, { Key: 'berth:project', Value: project }],
  });

  it('are found by name prefix over every page and deleted at once; a look-alike name, another project\'s tag or a secret Berth did not make is left', async () => {
    sm.reset();
    sm.on(ListSecretsCommand, { NextToken: undefined }).resolves({ SecretList: [secret('berth/demo/db', 'demo'), secret('berth/DEMO/x', 'other')], NextToken: 'page-2' });
    sm.on(ListSecretsCommand, { NextToken: 'page-2' }).resolves({ SecretList: [secret('berth/demo/api', 'demo'), secret('berth/demo/hand-made', 'demo', 'false')] });
    sm.on(DeleteSecretCommand).resolves({});
    const removed = await new EcsPodSecrets({ client: new SecretsManagerClient({ region: 'eu-west-1' }) }).removeProject('demo');
    expect(removed).toBe(2);
    expect(inputs(sm, ListSecretsCommand)).toEqual([
      { Filters: [{ Key: 'name', Values: ['berth/demo/'] }, { Key: 'tag-key', Values: ['berth:project'] }], NextToken: undefined },
      { Filters: [{ Key: 'name', Values: ['berth/demo/'] }, { Key: 'tag-key', Values: ['berth:project'] }], NextToken: 'page-2' },
    ]);
    expect(inputs(sm, DeleteSecretCommand)).toEqual([
      { SecretId: secret('berth/demo/db', 'demo').ARN, ForceDeleteWithoutRecovery: true },
      { SecretId: secret('berth/demo/api', 'demo').ARN, ForceDeleteWithoutRecovery: true },
    ]);
  });

  it('one deleted meanwhile (ResourceNotFoundException) is no error', async () => {
    sm.reset();
    sm.on(ListSecretsCommand).resolves({ SecretList: [secret('berth/demo/db', 'demo')] });
    sm.on(DeleteSecretCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    await expect(new EcsPodSecrets({ client: new SecretsManagerClient({ region: 'eu-west-1' }) }).removeProject('demo')).resolves.toBe(1);
  });

  it('go when the project is finalised (DynamoDB Local), and a failure keeps the project for another pass', async () => {
    const t = await freshTable();
    const finalizer = projectFinalizer(t.store, { podSecrets: new EcsPodSecrets({ client: new SecretsManagerClient({ region: 'eu-west-1' }) }) });
    const ref = (name: string) => ({ kind: 'Project', project: '', name });
    for (const name of ['demo', 'stuck']) {
      await createProject(t.store, { name, requester: 'alice', spec: {} });
      await requestProjectDeletion(t.store, name);
    }
    sm.reset();
    sm.on(ListSecretsCommand).callsFake((input: { Filters: { Values: string[] }[] }) => ({ SecretList: [secret(`${input.Filters[0]!.Values[0]}db`, input.Filters[0]!.Values[0]!.split('/')[1]!)] }));
    sm.on(DeleteSecretCommand, { SecretId: secret('berth/demo/db', 'demo').ARN }).resolves({});
    sm.on(DeleteSecretCommand, { SecretId: secret('berth/stuck/db', 'stuck').ARN }).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    for (let i = 0; i < 5 && (await t.store.get(ref('demo'))); i++) await finalizer.reconcile(ref('demo'));
    expect(await t.store.get(ref('demo'))).toBeUndefined();
    await expect(finalizer.reconcile(ref('stuck'))).rejects.toThrow(/Rate exceeded/);
    expect(await t.store.get(ref('stuck'))).toBeDefined();
    expect(inputs(sm, DeleteSecretCommand)).toEqual([
      { SecretId: secret('berth/demo/db', 'demo').ARN, ForceDeleteWithoutRecovery: true },
      { SecretId: secret('berth/stuck/db', 'stuck').ARN, ForceDeleteWithoutRecovery: true },
    ]);
  });
});
