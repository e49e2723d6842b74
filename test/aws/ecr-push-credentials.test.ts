// Pushes from outside on AWS, through the API as the Lambda serves it (the same Hono app over
// DynamoDB Local) with STS and ECR mocked (aws-sdk-client-mock), asserting the exact requests:
// `berth registry login`'s POST .../registrycredentials assumes the push role with a session
// policy naming the project's repositories, makes the repositories of its image streams, and
// answers ECR's login; ECR's "ECR Image Action" events move the image stream tags.
// Shapes: STS API Reference, "AssumeRole" (Credentials{AccessKeyId, SecretAccessKey,
// SessionToken, Expiration}); ECR API Reference, "GetAuthorizationToken" (authorizationData[]
// {authorizationToken: base64 "AWS:<password>", expiresAt, proxyEndpoint}), "CreateRepository",
// "PutLifecyclePolicy"; Amazon ECR User Guide, "Amazon ECR events and EventBridge" (the event
// for a completed image push).
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordEcrPush } from '../../shared/aws/ecr-image-actions.ts';
import { EcrPushCredentials, pushSessionPolicy } from '../../shared/aws/ecr-push-credentials.ts';
import { EcrRegistry, lifecyclePolicy } from '../../shared/aws/ecr-registry.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { ensureSharedProject } from '../../shared/project/openshift.ts';
import { testApi, type TestApi } from '../support/api.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Berth-ControlPlane-RegistryPushRole0A1B2C3D-1A2B3C4D5E6F`;
const PROJECT = 'shop';
const DIGEST = 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678';

const sts = mockClient(STSClient);
const ecr = mockClient(ECRClient);
const issuer = () => new EcrPushCredentials({
  sts: new STSClient({ region: REGION }), roleArn: ROLE, region: REGION, prefix: 'berth', host: HOST,
  ensureRepository: (project, stream) => new EcrRegistry({ client: new ECRClient({ region: REGION }), host: HOST, prefix: 'berth' }).ensureRepository(project, stream),
});

let api: TestApi;
let owner = '';
let viewer = '';
const expiration = new Date(Date.now() + 3600_000);

beforeAll(async () => {
  api = await testApi({ pushCredentials: issuer() });
  owner = await api.user('owner');
  viewer = await api.user('viewer');
  expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: PROJECT }, spec: {} })).status).toBe(201);
  expect((await api.call('POST', `/api/v1/projects/${PROJECT}/rolebindings`, owner, { metadata: { name: 'viewer-view' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } })).status).toBe(201);
  await api.store.create({ kind: 'ImageStream', metadata: { name: 'web', project: PROJECT }, spec: {} });
}, 120_000);

beforeEach(() => {
  sts.reset();
  ecr.reset();
  sts.on(AssumeRoleCommand).resolves({
    Credentials: { AccessKeyId: 'ASIAEXAMPLEPUSH', SecretAccessKey: 'session-secret', SessionToken: 'session-token', Expiration: expiration },
    AssumedRoleUser: { AssumedRoleId: 'AROAEXAMPLE:berth-push-owner', Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Berth-ControlPlane-RegistryPushRole/berth-push-owner` },
  });
  ecr.on(CreateRepositoryCommand).resolves({});
  ecr.on(PutLifecyclePolicyCommand).resolves({});
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [{ authorizationToken: Buffer.from('AWS:eyJwYXlsb2FkIjoi').toString('base64'), expiresAt: new Date(Date.now() + 12 * 3600_000), proxyEndpoint: `https://${HOST}` }],
  });
});

const credentials = `/api/v1/projects/${PROJECT}/registrycredentials`;

describe('push logins per project', () => {
  it('assumes the push role with a session policy of the project\'s repositories, makes its streams\' repositories, and answers ECR\'s login for an hour', async () => {
    const res = await api.call('POST', credentials, owner, { imageStreams: ['worker'] });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ host: HOST, username: 'AWS', password: 'eyJwYXlsb2FkIjoi', expiresAt: expiration.toISOString(), repositoryPrefix: `${HOST}/berth/${PROJECT}/` });
    expect(ecr.commandCalls(CreateRepositoryCommand).map((c) => c.args[0].input.repositoryName)).toEqual([`berth/${PROJECT}/web`, `berth/${PROJECT}/worker`]);
    expect(ecr.commandCalls(PutLifecyclePolicyCommand).map((c) => c.args[0].input)).toEqual(['web', 'worker'].map((s) => ({ repositoryName: `berth/${PROJECT}/${s}`, lifecyclePolicyText: lifecyclePolicy() })));
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([{
      RoleArn: ROLE,
      RoleSessionName: 'berth-push-owner',
      DurationSeconds: 3600,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
          {
            Sid: 'PushOwnProject', Effect: 'Allow',
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            Resource: [`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/berth/${PROJECT}/*`],
          },
        ],
      }),
    }]);
    // The login is asked for with the session's credentials, not the API's own.
    const login = ecr.commandCalls(GetAuthorizationTokenCommand);
    expect(login).toHaveLength(1);
    expect(login[0]!.args[0].input).toEqual({});
    const audit = await api.store.listAll('AuditEvent');
    expect(JSON.stringify(audit.items)).toContain(`user \\"owner\\" took a push login to ${HOST}/berth/${PROJECT}/*`);
  });

  it('the session policy names no other project\'s repositories', () => {
    const policy = JSON.stringify(pushSessionPolicy('shop', { roleArn: ROLE, region: REGION, prefix: 'berth' }));
    expect(policy).not.toMatch(/repository\/berth\/\*|repository\/berth\/(?!shop\/)/);
  });

  it('says on GET /api/v1/registry that logins are per project', async () => {
    expect(await api.call('GET', '/api/v1/registry', owner)).toEqual({ status: 200, body: { host: HOST, login: 'project' } });
  });

  it.each([
    [{ imageStreams: ['Bad_Name'] }, 'imageStreams'],
    [{ imageStreams: 'web' }, 'imageStreams'],
    [{ repositories: ['web'] }, 'repositories'],
  ])('refuses a bad body %j with 422 naming %s, before any AWS call', async (body, field) => {
    const res = await api.call('POST', credentials, owner, body);
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain(field);
    expect(sts.calls().length + ecr.calls().length).toBe(0);
  });

  it('refuses a view member (403) before any AWS call', async () => {
    const res = await api.call('POST', credentials, viewer, {});
    expect(res.status).toBe(403);
    expect(sts.calls().length + ecr.calls().length).toBe(0);
  });
});

describe('import-image on AWS', () => {
  const imports = `/api/v1/projects/${PROJECT}/imagestreamimports`;

  it('answers 501 with the pull, login and push that work there, naming the project\'s ECR repository, and changes nothing', async () => {
    const res = await api.call('POST', imports, owner, { name: 'web', tag: 'v9', from: 'quay.io/org/web:1' });
    expect(res.status).toBe(501);
    const body = res.body as { message: string; suggestion?: string; details?: { suggestion?: string } };
    expect(body.message).toMatch(/import-image is not available on this platform/);
    expect(JSON.stringify(body)).toContain(`docker pull quay.io/org/web:1 && berth registry login -n ${PROJECT} && docker tag quay.io/org/web:1 ${HOST}/berth/${PROJECT}/web:v9 && docker push ${HOST}/berth/${PROJECT}/web:v9`);
    const stream = await api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: PROJECT, name: 'web' });
    expect(stream?.status.tags?.find((t) => t.tag === 'v9')).toBeUndefined();
    expect(sts.calls().length + ecr.calls().length).toBe(0);
  });

  it.each([
    [{ name: 'web', from: '' }, 'from'],
    [{ name: 'web', from: 'not an image!' }, 'from'],
    [{ name: 'Web', from: 'quay.io/org/web:1' }, 'name'],
  ])('checks the request as everywhere first: %j is a 422 naming %s', async (body, field) => {
    const res = await api.call('POST', imports, owner, body);
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain(field);
  });

  it('a view member is refused (403), and an unknown stream without --confirm is a 404', async () => {
    expect((await api.call('POST', imports, viewer, { name: 'web', from: 'quay.io/org/web:1' })).status).toBe(403);
    expect((await api.call('POST', imports, owner, { name: 'nothere', from: 'quay.io/org/web:1' })).status).toBe(404);
  });
});

describe('ECR pushes move image stream tags', () => {
  /** Amazon ECR User Guide, "Amazon ECR events and EventBridge": event for a completed image push. */
  const pushed = (repository: string, tag: string, over: Record<string, string> = {}) => ({
    version: '0', id: '13cde686-328b-6117-af20-0e5566167482', 'detail-type': 'ECR Image Action', source: 'aws.ecr', account: ACCOUNT,
    time: '2026-12-03T08:00:00Z', region: REGION, resources: [],
    detail: { result: 'SUCCESS', 'repository-name': repository, 'image-digest': DIGEST, 'action-type': 'PUSH', 'image-tag': tag, ...over },
  });
  const tagOf = async (stream: string, tag: string) =>
    (await api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: PROJECT, name: stream }))?.status.tags?.find((t) => t.tag === tag)?.items[0];

  it('a successful tagged push to berth/<project>/<stream> becomes the tag\'s newest image, by its ECR reference; the same push again changes nothing', async () => {
    expect(await recordEcrPush(api.store, HOST, 'berth', pushed(`berth/${PROJECT}/web`, 'v1'))).toEqual({ project: PROJECT, stream: 'web', tag: 'v1', digest: DIGEST });
    expect(await tagOf('web', 'v1')).toMatchObject({ image: DIGEST, dockerImageReference: `${HOST}/berth/${PROJECT}/web@${DIGEST}`, created: '2026-12-03T08:00:00.000Z' });
    expect(await recordEcrPush(api.store, HOST, 'berth', pushed(`berth/${PROJECT}/web`, 'v1'))).toBeUndefined();
  });

  it('the platform\'s push of berth/openshift/postgresql:15 points the shared project\'s stream tag at the ECR digest, so templates\' openshift/postgresql:15 resolves', async () => {
    await ensureSharedProject(api.store);
    expect(await recordEcrPush(api.store, HOST, 'berth', pushed('berth/openshift/postgresql', '15'))).toEqual({ project: 'openshift', stream: 'postgresql', tag: '15', digest: DIGEST });
    const stream = await api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: 'openshift', name: 'postgresql' });
    expect(stream?.status.tags?.find((t) => t.tag === '15')?.items[0]).toMatchObject({ image: DIGEST, dockerImageReference: `${HOST}/berth/openshift/postgresql@${DIGEST}` });
  });

  it('a push to a new stream name makes the image stream', async () => {
    await recordEcrPush(api.store, HOST, 'berth', pushed(`berth/${PROJECT}/api`, 'latest'));
    expect(await tagOf('api', 'latest')).toMatchObject({ image: DIGEST });
  });

  it.each([
    ['a failed push', pushed(`berth/${PROJECT}/web`, 'v2', { result: 'FAILURE' })],
    ['a deletion', pushed(`berth/${PROJECT}/web`, 'v2', { 'action-type': 'DELETE' })],
    ['a repository outside berth/', pushed(`other/${PROJECT}/web`, 'v2')],
    ['a project that does not exist', pushed('berth/nobody/web', 'v2')],
    ['an event of another source', { ...pushed(`berth/${PROJECT}/web`, 'v2'), source: 'custom.ecr' }],
  ])('%s moves nothing', async (_what, event) => {
    expect(await recordEcrPush(api.store, HOST, 'berth', event)).toBeUndefined();
    expect(await tagOf('web', 'v2')).toBeUndefined();
  });
});
