// A pod on an ECS host that takes variables from a Secret: the values go to Secrets Manager
// (one secret per Berth Secret, `berth/<project>/<secret>`, a version derived from the values)
// and the task definition names them in `secrets`, pinned to that version, never in
// `environment`. Requests and responses as documented in the Secrets Manager API Reference
// (CreateSecret, PutSecretValue) and the ECS Developer Guide page "Pass Secrets Manager secrets
// through Amazon ECS environment variables" (valueFrom `arn:…:secret:name:json-key:version-stage:version-id`).
import { DescribeTaskDefinitionCommand, ECSClient, ListTasksCommand, RegisterTaskDefinitionCommand, StartTaskCommand } from '@aws-sdk/client-ecs';
import { CreateSecretCommand, PutSecretValueCommand, ResourceExistsException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsPodSecrets, versionOf } from '../../shared/aws/ecs-pod-secrets.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';

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
