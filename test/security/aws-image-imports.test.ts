// Attack, on AWS: a stranger who signed up a minute ago goes for another tenant's images through
// `berth import-image`: imports into the victim's project by name, reads the victim's import
// status (and its task), smuggles a target into the request body or the stream name, imports
// *from* the victim's repository or from the platform's own network, and finally runs an import
// of their own hoping the task can push elsewhere. Every attempt fails: the API refuses before
// any AWS call, and the task of the stranger's own import gets a session (IAM's own evaluation,
// offline) that writes only the stranger's one repository.
// AWS answers are mocked (aws-sdk-client-mock): ECS API Reference "RunTask", "DescribeTasks";
// STS API Reference "AssumeRole"; ECR API Reference "CreateRepository", "PutLifecyclePolicy".
import { CreateRepositoryCommand, ECRClient, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { DescribeTasksCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ECR_PUSH_ACTIONS } from '../../shared/aws/ecr-push-credentials.ts';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { EcsImageImports, IMPORT_FAMILY } from '../../shared/aws/ecs-image-imports.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { decide, type PolicyDocument } from '../infra/iam.ts';
import { testApi, type TestApi } from '../support/api.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Berth-ControlPlane-RegistryPushRole`;
const CLUSTER = 'berth-fleet';
const VICTIM = 'bank';
const OWN = 'mallory-lab';
const VICTIM_TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`;
const OWN_TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee`;
const SOURCE = '203.0.113.10/org/web:1';

const ecs = mockClient(ECSClient);
const sts = mockClient(STSClient);
const ecr = mockClient(ECRClient);
const awsCalls = () => ecs.calls().length + sts.calls().length + ecr.calls().length;

let api: TestApi;
let victim = '';
let mallory = '';

beforeAll(async () => {
  api = await testApi({
    imageImports: new EcsImageImports({
      ecs: new ECSClient({ region: REGION }), sts: new STSClient({ region: REGION }),
      cluster: CLUSTER, taskDefinition: IMPORT_FAMILY, capacityProvider: 'build-hosts', roleArn: ROLE, region: REGION, prefix: 'berth', host: HOST,
      ensureRepository: (project, stream) => new EcrRegistry({ client: new ECRClient({ region: REGION }), host: HOST, prefix: 'berth' }).ensureRepository(project, stream),
    }),
  });
  victim = await api.user('victim');
  mallory = await api.user('mallory');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: VICTIM }, spec: {} })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', mallory, { metadata: { name: OWN }, spec: {} })).status).toBe(201);
  // The victim's own import, running.
  mockAws(VICTIM_TASK);
  expect((await api.call('POST', `/api/v1/projects/${VICTIM}/imagestreamimports`, victim, { name: 'web', tag: 'v1', from: '203.0.113.11/bank/secret-app:1', confirm: true })).status).toBe(202);
}, 120_000);

function mockAws(task: string): void {
  ecs.reset();
  sts.reset();
  ecr.reset();
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + 3600_000) } });
  ecr.on(CreateRepositoryCommand).resolves({});
  ecr.on(PutLifecyclePolicyCommand).resolves({});
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: task, lastStatus: 'PROVISIONING' }], failures: [] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: task, lastStatus: 'RUNNING', containers: [{ name: 'importer', lastStatus: 'RUNNING' }] }], failures: [] });
}

beforeEach(() => mockAws(OWN_TASK));

const victimStream = () => api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project: VICTIM, name: 'web' });

describe('a stranger and the victim\'s imports', () => {
  it('cannot start an import into the victim\'s project, by path or with confirm, and AWS is never asked', async () => {
    const before = JSON.stringify((await victimStream())?.status);
    for (const body of [{ name: 'web', tag: 'v1', from: SOURCE }, { name: 'web', tag: 'latest', from: SOURCE, confirm: true }, { name: 'new', from: SOURCE, confirm: true }]) {
      const res = await api.call('POST', `/api/v1/projects/${VICTIM}/imagestreamimports`, mallory, body);
      expect([403, 404]).toContain(res.status);
    }
    expect(awsCalls()).toBe(0);
    expect(JSON.stringify((await victimStream())?.status)).toBe(before);
    expect(await api.store.get({ kind: 'ImageStream', project: VICTIM, name: 'new' })).toBeUndefined();
  });

  it('cannot read the victim\'s import status, its source or its task', async () => {
    const res = await api.call('GET', `/api/v1/projects/${VICTIM}/imagestreamimports/web?tag=v1`, mallory);
    expect([403, 404]).toContain(res.status);
    expect(JSON.stringify(res.body)).not.toMatch(/secret-app|aaaaaaaa/);
    expect(ecs.calls()).toHaveLength(0);
    // Her own project has no such import: the victim's record is not found through it either.
    expect((await api.call('GET', `/api/v1/projects/${OWN}/imagestreamimports/web?tag=v1`, mallory)).status).toBe(404);
  });

  it.each([
    ['a target in the body', { name: 'web', from: SOURCE, target: `${HOST}/berth/${VICTIM}/web:v1` }, 'target'],
    ['a repository in the body', { name: 'web', from: SOURCE, repository: `berth/${VICTIM}/web` }, 'repository'],
    ['a project in the body', { name: 'web', from: SOURCE, project: VICTIM }, 'project'],
    ['a path in the stream name', { name: `../${VICTIM}/web`, from: SOURCE, confirm: true }, 'name'],
    ['a stream name with a slash', { name: `${VICTIM}/web`, from: SOURCE, confirm: true }, 'name'],
    ['the victim\'s ECR repository as the source', { name: 'stolen', from: `${HOST}/berth/${VICTIM}/web:v1`, confirm: true }, 'from'],
    ['the instance metadata service as the source', { name: 'meta', from: '169.254.169.254/latest/meta-data:1', confirm: true }, 'from'],
    ['a private address as the source', { name: 'inside', from: '10.0.3.7:5000/internal/app:1', confirm: true }, 'from'],
  ])('an import of her own with %s is a 422 naming the field, before any AWS call', async (_what, body, field) => {
    const res = await api.call('POST', `/api/v1/projects/${OWN}/imagestreamimports`, mallory, body);
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.details)).toContain(field);
    expect(awsCalls()).toBe(0);
  });

  it('her own import\'s task targets only her repository, and its session is denied the victim\'s and the platform\'s repositories', async () => {
    const res = await api.call('POST', `/api/v1/projects/${OWN}/imagestreamimports`, mallory, { name: 'web', tag: 'v1', from: SOURCE, confirm: true });
    expect(res.status).toBe(202);
    const env = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides!.containerOverrides![0]!.environment!;
    expect(env.find((e) => e.name === 'IMPORT_TARGET')!.value).toBe(`${HOST}/berth/${OWN}/web:v1`);
    const session = JSON.parse(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.Policy!) as PolicyDocument;
    const principal = `arn:aws:sts::${ACCOUNT}:assumed-role/Berth-ControlPlane-RegistryPushRole/berth-import-${OWN}`;
    const verdict = (action: string, name: string) => decide(session, { principal, action, resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/berth/${name}`, accountId: ACCOUNT });
    for (const action of ECR_PUSH_ACTIONS) {
      expect(await verdict(action, `${OWN}/web`), action).toBe('Allowed');
      for (const elsewhere of [`${VICTIM}/web`, `${OWN}/other`, `${OWN}-2/web`, 'openshift/python', 'builder']) expect(await verdict(action, elsewhere), `${action} ${elsewhere}`).not.toBe('Allowed');
    }
    // The victim's stream and its running import are untouched.
    const stream = await victimStream();
    expect(stream?.status.imports?.map((i) => [i.tag, i.phase, i.task])).toEqual([['v1', 'Pending', VICTIM_TASK]]);
  });
});
