// import-image on AWS, through the API as the Lambda serves it (the same Hono app over DynamoDB
// Local) and the real CLI, with ECS, STS and ECR mocked (aws-sdk-client-mock) and the exact
// requests asserted: the API checks the request and the source, assumes the push role narrowed to
// the one repository, runs the import task (202, Pending), and GET …/imagestreamimports/NAME reads
// how the task ended: Complete with the image read back from ECR (its config fetched from the URL
// ECR hands out, here the local Distribution registry's blob URL), or Failed with a reason.
// Shapes: ECS API Reference, "RunTask" (tasks[]{taskArn, lastStatus}, failures[]{arn, reason,
// detail}) and "DescribeTasks" (tasks[]{lastStatus, stoppedReason, containers[]{name, exitCode,
// reason}}, failures[]{arn, reason: "MISSING"}); STS API Reference, "AssumeRole"
// (Credentials{AccessKeyId, SecretAccessKey, SessionToken, Expiration}); ECR API Reference,
// "BatchGetImage" (images[]{registryId, repositoryName, imageId{imageDigest, imageTag},
// imageManifest, imageManifestMediaType}), "GetDownloadUrlForLayer" (downloadUrl, layerDigest),
// "CreateRepository", "PutLifecyclePolicy".
import { createHash, randomBytes } from 'node:crypto';
import { BatchGetImageCommand, CreateRepositoryCommand, ECRClient, GetDownloadUrlForLayerCommand, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { DescribeTasksCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { EcsImageImports, IMPORT_FAMILY } from '../../shared/aws/ecs-image-imports.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { runCli } from '../cli/harness.ts';
import { startCli, type CliHarness } from '../cli/harness.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Berth-ControlPlane-RegistryPushRole0A1B2C3D-1A2B3C4D5E6F`;
const CLUSTER = 'berth-fleet-Cluster';
const PROVIDER = 'berth-fleet-BuildHosts';
const PROJECT = 'shop';
const TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/0123456789abcdef0123456789abcdef`;
/** A public address (TEST-NET-3) written as the source's registry: no DNS needed, not private. */
const SOURCE = '203.0.113.10/org/web:1';
const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

const ecs = mockClient(ECSClient);
const sts = mockClient(STSClient);
const ecr = mockClient(ECRClient);
const imports = new EcsImageImports({
  ecs: new ECSClient({ region: REGION }), sts: new STSClient({ region: REGION }),
  cluster: CLUSTER, taskDefinition: IMPORT_FAMILY, capacityProvider: PROVIDER, roleArn: ROLE, region: REGION, prefix: 'berth', host: HOST,
  maxBytes: 512 * 2 ** 20,
  ensureRepository: (project, stream) => new EcrRegistry({ client: new ECRClient({ region: REGION }), host: HOST, prefix: 'berth' }).ensureRepository(project, stream),
});

let cli: CliHarness;
let owner = '';
let viewer = '';
let configUrl = '';
let configDigest = '';
const path = `/api/v1/projects/${PROJECT}/imagestreamimports`;

/** The session policy narrowed to one repository, as AssumeRole is sent it. */
const sessionPolicy = (stream: string) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
    {
      Sid: 'PushOneRepository', Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: [`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/berth/${PROJECT}/${stream}`],
    },
  ],
});

/** Uploads `bytes` as a blob of `repo` in the open loopback registry (Distribution's blob upload API); its URL. */
async function uploadBlob(registry: string, repo: string, bytes: Buffer): Promise<{ digest: string; url: string }> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const start = await fetch(`http://${registry}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const put = new URL(start.headers.get('location')!, `http://${registry}`);
  put.searchParams.set('digest', digest);
  expect((await fetch(put, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes })).status).toBe(201);
  return { digest, url: `http://${registry}/v2/${repo}/blobs/${digest}` };
}

const stopped = (exitCode: number | undefined, stoppedReason = 'Essential container in task exited') => ({
  tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedReason, containers: [{ name: 'importer', lastStatus: 'STOPPED', ...(exitCode === undefined ? { reason: 'CannotPullContainerError: pull access denied' } : { exitCode }) }] }],
  failures: [],
});
const running = { tasks: [{ taskArn: TASK, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', containers: [{ name: 'importer', lastStatus: 'RUNNING' }] }], failures: [] };

beforeAll(async () => {
  cli = await startCli(undefined, { imageImports: imports });
  owner = await cli.api.user('owner');
  viewer = await cli.api.user('viewer');
  expect((await cli.api.call('POST', '/api/v1/projects', owner, { metadata: { name: PROJECT }, spec: {} })).status).toBe(201);
  expect((await cli.api.call('POST', `/api/v1/projects/${PROJECT}/rolebindings`, owner, { metadata: { name: 'viewer-view' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } })).status).toBe(201);
  await cli.api.store.create({ kind: 'ImageStream', metadata: { name: 'web', project: PROJECT }, spec: {} });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { ExposedPorts: { '8080/tcp': {}, '53/udp': {}, '443/tcp': {} } }, rootfs: { type: 'layers', diff_ids: [] } }));
  const blob = await uploadBlob(inject('registryHost'), `ecr-standin-${randomBytes(3).toString('hex')}/web`, config);
  configUrl = blob.url;
  configDigest = blob.digest;
  expect((await cli.login('owner')).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await cli?.close();
});

const manifest = () => JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPE, config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 200, digest: configDigest }, layers: [] });
const manifestDigest = () => `sha256:${createHash('sha256').update(manifest()).digest('hex')}`;

beforeEach(() => {
  ecs.reset();
  sts.reset();
  ecr.reset();
  sts.on(AssumeRoleCommand).resolves({
    Credentials: { AccessKeyId: 'ASIAEXAMPLEIMPORT', SecretAccessKey: 'session-secret', SessionToken: 'session-token', Expiration: new Date(Date.now() + 3600_000) },
    AssumedRoleUser: { AssumedRoleId: 'AROAEXAMPLE:berth-import-shop', Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Berth-ControlPlane-RegistryPushRole/berth-import-shop` },
  });
  ecr.on(CreateRepositoryCommand).resolves({});
  ecr.on(PutLifecyclePolicyCommand).resolves({});
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' }], failures: [] });
  ecr.on(BatchGetImageCommand).resolves({
    images: [{ registryId: ACCOUNT, repositoryName: `berth/${PROJECT}/web`, imageId: { imageDigest: manifestDigest(), imageTag: 'v1' }, imageManifest: manifest(), imageManifestMediaType: MANIFEST_TYPE }],
    failures: [],
  });
  ecr.on(GetDownloadUrlForLayerCommand).resolves({ downloadUrl: configUrl, layerDigest: configDigest });
});

const streamStatus = async (name: string) => (await cli.api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: PROJECT, name }))?.status;

describe('starting an import', () => {
  it('assumes the push role narrowed to berth/<project>/<stream>, runs the import task with those credentials, and answers 202 Pending', async () => {
    const res = await cli.api.call('POST', path, owner, { name: 'web', tag: 'v1', from: SOURCE });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'ImageStreamImport', metadata: { name: 'web', project: PROJECT }, status: { tag: 'v1', from: SOURCE, phase: 'Pending' } });
    expect(res.body.status.task).toBeUndefined();
    expect(ecr.commandCalls(CreateRepositoryCommand).map((c) => c.args[0].input.repositoryName)).toEqual([`berth/${PROJECT}/web`]);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleArn: ROLE, RoleSessionName: `berth-import-${PROJECT}`, DurationSeconds: 3600, Policy: sessionPolicy('web') }]);
    expect(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input)).toEqual([{
      cluster: CLUSTER,
      taskDefinition: 'berth-import',
      count: 1,
      capacityProviderStrategy: [{ capacityProvider: PROVIDER, weight: 1 }],
      startedBy: `import/${PROJECT}/web`,
      overrides: {
        containerOverrides: [{
          name: 'importer',
          environment: [
            { name: 'IMPORT_FROM', value: SOURCE },
            { name: 'IMPORT_TARGET', value: `${HOST}/berth/${PROJECT}/web:v1` },
            { name: 'IMPORT_MAX_BYTES', value: String(512 * 2 ** 20) },
            { name: 'AWS_REGION', value: REGION },
            { name: 'AWS_ACCESS_KEY_ID', value: 'ASIAEXAMPLEIMPORT' },
            { name: 'AWS_SECRET_ACCESS_KEY', value: 'session-secret' },
            { name: 'AWS_SESSION_TOKEN', value: 'session-token' },
          ],
        }],
      },
      tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: PROJECT }, { key: 'berth:import', value: 'web:v1' }],
    }]);
    expect((await streamStatus('web'))?.imports).toEqual([expect.objectContaining({ tag: 'v1', phase: 'Pending', task: TASK, from: SOURCE })]);
  });

  it('GET reads the task: Pending while it runs, then Complete with the image read back from ECR; the tag moves to the ECR reference', async () => {
    ecs.on(DescribeTasksCommand).resolvesOnce(running).resolves(stopped(0));
    const first = await cli.api.call('GET', `${path}/web?tag=v1`, viewer);
    expect(first.status).toBe(200);
    expect(first.body.status.phase).toBe('Pending');
    const done = await cli.api.call('GET', `${path}/web?tag=v1`, viewer);
    expect(done.body.status).toMatchObject({ phase: 'Complete', image: manifestDigest(), dockerImageReference: `${HOST}/berth/${PROJECT}/web@${manifestDigest()}`, exposedPorts: [443, 8080] });
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: CLUSTER, tasks: [TASK] }, { cluster: CLUSTER, tasks: [TASK] }]);
    expect(ecr.commandCalls(BatchGetImageCommand).map((c) => c.args[0].input)).toEqual([{ repositoryName: `berth/${PROJECT}/web`, imageIds: [{ imageTag: 'v1' }], acceptedMediaTypes: [MANIFEST_TYPE, 'application/vnd.oci.image.manifest.v1+json'] }]);
    expect(ecr.commandCalls(GetDownloadUrlForLayerCommand).map((c) => c.args[0].input)).toEqual([{ repositoryName: `berth/${PROJECT}/web`, layerDigest: configDigest }]);
    // Read back with the narrowed session too, never the API's own rights.
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.Policy)).toEqual([sessionPolicy('web')]);
    expect((await streamStatus('web'))?.tags?.find((t) => t.tag === 'v1')?.items[0]).toMatchObject({ image: manifestDigest(), dockerImageReference: `${HOST}/berth/${PROJECT}/web@${manifestDigest()}` });
    // Once ended, the record answers without asking ECS again.
    const again = await cli.api.call('GET', `${path}/web?tag=v1`, owner);
    expect(again.body.status.phase).toBe('Complete');
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(2);
  });

  it.each([
    [3, undefined, 'NotFound', /image 203\.0\.113\.10\/org\/web:1 was not found/],
    [4, undefined, 'SourceUnreachable', /did not answer/],
    [5, undefined, 'TooLarge', /larger than the 512 MiB/],
    [undefined, 'Task failed to start', 'ImporterLost', /stopped before it ran: Task failed to start: CannotPullContainerError/],
  ])('a task that stopped with exit code %s is Failed (%s: %s), with a hint, and the tag does not move', async (code, reason, kind, message) => {
    expect((await cli.api.call('POST', path, owner, { name: 'web', tag: 'bad', from: SOURCE })).status).toBe(202);
    ecs.on(DescribeTasksCommand).resolves(stopped(code, reason));
    const res = await cli.api.call('GET', `${path}/web?tag=bad`, owner);
    expect(res.body.status).toMatchObject({ phase: 'Failed', reason: kind });
    expect(res.body.status.message).toMatch(message);
    expect(res.body.status.suggestion).toBeTruthy();
    expect(ecr.commandCalls(BatchGetImageCommand)).toHaveLength(0);
    expect((await streamStatus('web'))?.tags?.find((t) => t.tag === 'bad')).toBeUndefined();
  });

  it('a task ECS no longer knows (MISSING) is Failed, not Pending for ever', async () => {
    expect((await cli.api.call('POST', path, owner, { name: 'web', tag: 'gone', from: SOURCE })).status).toBe(202);
    ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] });
    const res = await cli.api.call('GET', `${path}/web?tag=gone`, owner);
    expect(res.body.status).toMatchObject({ phase: 'Failed', reason: 'ImporterLost' });
  });

  it('RunTask that starts nothing is a 503 with the reason, and no import is recorded', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${CLUSTER}/abc`, reason: 'RESOURCE:MEMORY' }] });
    const res = await cli.api.call('POST', path, owner, { name: 'web', tag: 'full', from: SOURCE });
    expect(res.status).toBe(503);
    expect(res.body.message).toContain('RESOURCE:MEMORY');
    expect((await streamStatus('web'))?.imports?.find((i) => i.tag === 'full')).toBeUndefined();
  });
});

describe('the request is checked before any task starts', () => {
  it.each([
    [{ name: 'web', from: '127.0.0.1:5000/x:1' }, 'from'],
    [{ name: 'web', from: '10.0.0.7/x:1' }, 'from'],
    [{ name: 'web', from: '169.254.169.254/latest:1' }, 'from'],
    [{ name: 'web', from: `${HOST}/berth/other/web:1` }, 'from'],
    [{ name: 'web', from: 'not an image!' }, 'from'],
    [{ name: 'Web', from: SOURCE }, 'name'],
    [{ name: 'web', tag: '-x', from: SOURCE }, 'tag'],
  ])('%j is a 422 naming %s, and nothing is asked of AWS', async (body, field) => {
    const res = await cli.api.call('POST', path, owner, body);
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(ecs.calls().length + sts.calls().length + ecr.calls().length).toBe(0);
  });

  it('a view member cannot start one (403); an unknown stream without --confirm is a 404; neither reaches AWS', async () => {
    expect((await cli.api.call('POST', path, viewer, { name: 'web', from: SOURCE })).status).toBe(403);
    expect((await cli.api.call('POST', path, owner, { name: 'nothere', from: SOURCE })).status).toBe(404);
    expect(ecs.calls().length + sts.calls().length + ecr.calls().length).toBe(0);
  });

  it('GET of a tag never imported is a 404', async () => {
    expect((await cli.api.call('GET', `${path}/web?tag=never`, owner)).status).toBe(404);
  });
});

describe('the CLI waits for the import', () => {
  const berth = (...argv: string[]) => runCli(argv, { BERTH_CONFIG: cli.configFile('owner'), HOME: '/nonexistent', BERTH_IMPORT_POLL_MS: '20' });

  it('import-image prints what it prints locally once the task is done', async () => {
    ecs.on(DescribeTasksCommand).resolvesOnce(running).resolvesOnce(running).resolves(stopped(0));
    const out = await berth('import-image', 'api:v1', '--from', SOURCE, '--confirm', '-n', PROJECT);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe(`imagestream "api" tag v1 imported from ${SOURCE}\n  ${HOST}/berth/${PROJECT}/api@${manifestDigest()}\n  exposes 443, 8080\n`);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(3);
  });

  it('a failed import is one line and a hint, with a non-zero exit code', async () => {
    ecs.on(DescribeTasksCommand).resolves(stopped(3));
    const out = await berth('import-image', 'web:missing', '--from', SOURCE, '-n', PROJECT);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/^Importing .*\nerror: image 203\.0\.113\.10\/org\/web:1 was not found \(or needs credentials\)\n.*only public images can be imported/);
  });

  it('new-app --image makes the DeploymentConfig and a Service on the lowest exposed port', async () => {
    ecs.on(DescribeTasksCommand).resolves(stopped(0));
    const out = await berth('new-app', '--image', SOURCE, '--name', 'site', '-n', PROJECT);
    expect(out.code, out.stderr).toBe(0);
    const svc = await cli.api.store.get<any>({ kind: 'Service', project: PROJECT, name: 'site' });
    expect(svc.spec.ports[0]).toMatchObject({ port: 443, targetPort: 443 });
  });
});
