// Attack, on AWS: a stranger who signed up a minute ago goes for another tenant's images through
// pushes from outside: asks the API for a push login to the victim's project (by name, and
// smuggled into the image stream list), pushes with their own login to the victim's repository,
// and pushes to their own repository under the victim's stream name hoping to move the victim's
// tag. Every attempt fails: the API refuses before any AWS call, the session policy the API sends
// for the stranger's own login is denied on the victim's repositories (IAM's own evaluation,
// offline), and a push event moves only the stream of the repository's own project.
// AWS answers are mocked (aws-sdk-client-mock; STS API Reference "AssumeRole", ECR API Reference
// "GetAuthorizationToken", "CreateRepository"; the event of Amazon ECR User Guide, "Amazon ECR
// events and EventBridge").
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordEcrPush } from '../../shared/aws/ecr-image-actions.ts';
import { ECR_PUSH_ACTIONS, EcrPushCredentials } from '../../shared/aws/ecr-push-credentials.ts';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { decide, type PolicyDocument } from '../infra/iam.ts';
import { testApi, type TestApi } from '../support/api.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Berth-ControlPlane-RegistryPushRole`;
const VICTIM = 'bank';
const OWN = 'mallory-lab';
const VICTIM_DIGEST = `sha256:${'a'.repeat(64)}`;
const EVIL_DIGEST = `sha256:${'e'.repeat(64)}`;

const sts = mockClient(STSClient);
const ecr = mockClient(ECRClient);
const awsCalls = () => sts.calls().length + ecr.calls().length;

let api: TestApi;
let victim = '';
let mallory = '';

beforeAll(async () => {
  api = await testApi({
    pushCredentials: new EcrPushCredentials({
      sts: new STSClient({ region: REGION }), roleArn: ROLE, region: REGION, prefix: 'berth', host: HOST,
      ensureRepository: (project, stream) => new EcrRegistry({ client: new ECRClient({ region: REGION }), host: HOST, prefix: 'berth' }).ensureRepository(project, stream),
    }),
  });
  victim = await api.user('victim');
  mallory = await api.user('mallory');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: VICTIM }, spec: {} })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', mallory, { metadata: { name: OWN }, spec: {} })).status).toBe(201);
  await recordEcrPush(api.store, HOST, 'berth', pushEvent(`berth/${VICTIM}/web`, 'latest', VICTIM_DIGEST));
}, 120_000);

beforeEach(() => {
  sts.reset();
  ecr.reset();
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + 3600_000) } });
  ecr.on(CreateRepositoryCommand).resolves({});
  ecr.on(PutLifecyclePolicyCommand).resolves({});
  ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64'), expiresAt: new Date(Date.now() + 3600_000) }] });
});

function pushEvent(repository: string, tag: string, digest: string) {
  return {
    version: '0', id: 'e1', 'detail-type': 'ECR Image Action', source: 'aws.ecr', account: ACCOUNT, time: '2026-12-03T08:00:00Z', region: REGION, resources: [],
    detail: { result: 'SUCCESS', 'repository-name': repository, 'image-digest': digest, 'action-type': 'PUSH', 'image-tag': tag },
  };
}

describe('a stranger on AWS', () => {
  it('cannot get a push login to the victim\'s project; no AWS call is made', async () => {
    for (const body of [{}, { imageStreams: ['web'] }]) {
      const res = await api.call('POST', `/api/v1/projects/${VICTIM}/registrycredentials`, mallory, body);
      expect([403, 404]).toContain(res.status);
      expect(res.body).not.toHaveProperty('password');
    }
    expect(awsCalls()).toBe(0);
  });

  it('cannot smuggle the victim\'s repositories into their own login', async () => {
    for (const name of [`../${VICTIM}/web`, `${VICTIM}/web`]) {
      const res = await api.call('POST', `/api/v1/projects/${OWN}/registrycredentials`, mallory, { imageStreams: [name] });
      expect(res.status).toBe(422);
    }
    expect(awsCalls()).toBe(0);
  });

  it('with their own login, is denied every push and pull on the victim\'s repositories and the shared images', async () => {
    const res = await api.call('POST', `/api/v1/projects/${OWN}/registrycredentials`, mallory, {});
    expect(res.status).toBe(201);
    const [assumed] = sts.commandCalls(AssumeRoleCommand);
    const session = JSON.parse(assumed!.args[0].input.Policy!) as PolicyDocument;
    const principal = `arn:aws:sts::${ACCOUNT}:assumed-role/Berth-ControlPlane-RegistryPushRole/berth-push-mallory`;
    const verdict = (action: string, name: string) => decide(session, { principal, action, resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/berth/${name}`, accountId: ACCOUNT });
    for (const name of [`${VICTIM}/web`, `${VICTIM}/db`, 'openshift/postgresql', 's2i/python', `${OWN}x/web`]) {
      for (const action of ECR_PUSH_ACTIONS) expect(`${await verdict(action, name)} ${action} ${name}`).not.toMatch(/^Allowed/);
    }
    // The same evaluation allows the stranger's own repositories: the check above can fail.
    expect(await verdict('ecr:PutImage', `${OWN}/web`)).toBe('Allowed');
  });

  it('cannot move the victim\'s tag by pushing under the same stream name to their own repository', async () => {
    await recordEcrPush(api.store, HOST, 'berth', pushEvent(`berth/${OWN}/web`, 'latest', EVIL_DIGEST));
    const tagOf = async (project: string) =>
      (await api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project, name: 'web' }))?.status.tags?.find((t) => t.tag === 'latest')?.items[0]?.image;
    expect(await tagOf(VICTIM)).toBe(VICTIM_DIGEST);
    expect(await tagOf(OWN)).toBe(EVIL_DIGEST);
  });
});
