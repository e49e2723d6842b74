// Per-project pod execution roles on AWS: the exact IAM requests the adapter sends (IAM mocked
// with aws-sdk-client-mock, answers in the documented shapes), and the reconciler and project
// finalizer that make a project's role with the project and remove it with the project, against
// DynamoDB Local.
// AWS documentation: IAM API Reference, CreateRole (errors: EntityAlreadyExists, HTTP 409),
// GetRole (the Role element: Path, Arn, PermissionsBoundary, Tags; NoSuchEntity, HTTP 404),
// PutRolePolicy, DeleteRolePolicy, DeleteRole (DeleteConflict while the role has inline
// policies: they are deleted first).
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  type Role,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IamProjectRoles } from '../../shared/aws/iam-project-roles.ts';
import { projectRoleArn, projectRoleName } from '../../shared/aws/project-roles.ts';
import { createProject } from '../../shared/project/create.ts';
import { requestProjectDeletion } from '../../shared/project/deletion.ts';
import { executionRoleReconciler } from '../../shared/project/execution-roles.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import type { Project } from '../../shared/project/types.ts';
import { collect } from '../../shared/store/each.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const ACCOUNT = '111122223333';
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/berth/Berth-Fleet-ProjectRolesBoundary1A2B3C4D`;
const settings = { boundaryArn: BOUNDARY, region: 'eu-west-1', repositoryPrefix: 'berth', logGroup: 'Berth-Fleet-PodLogs' };
const iam = mockClient(IAMClient);
const roles = () => new IamProjectRoles({ client: new IAMClient({ region: 'eu-west-1' }), ...settings });

const meta = { $metadata: { httpStatusCode: 404 } };
const noSuchRole = (name: string) => new NoSuchEntityException({ message: `The role with name ${name} cannot be found.`, ...meta });
/** A role as GetRole returns it (IAM API Reference, Role data type). */
const stored = (project: string, over: Partial<Role> = {}): Role => ({
  Path: '/berth/projects/',
  RoleName: projectRoleName(project),
  RoleId: 'AROA1234567890EXAMPLE',
  Arn: projectRoleArn(BOUNDARY, project),
  CreateDate: new Date('2026-12-01T10:00:00Z'),
  PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: BOUNDARY },
  Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: project }],
  ...over,
});

const inputs = () => iam.calls().map((c) => {
  const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
  return [command.constructor.name, command.input] as const;
});

beforeEach(() => iam.reset());

describe('making a project\'s role', () => {
  it('creates it under /berth/projects/ with the boundary, the ECS tasks trust and Berth\'s tags, then writes its one policy', async () => {
    iam.on(CreateRoleCommand).resolves({ Role: stored('shop') });
    iam.on(PutRolePolicyCommand).resolves({});
    await roles().ensure('shop');
    const sent = inputs();
    expect(sent.map(([name]) => name)).toEqual(['CreateRoleCommand', 'PutRolePolicyCommand']);
    const [, create] = sent[0]!;
    expect({ ...create, AssumeRolePolicyDocument: JSON.parse(create.AssumeRolePolicyDocument as string) }).toEqual({
      RoleName: 'berth-shop',
      Path: '/berth/projects/',
      PermissionsBoundary: BOUNDARY,
      Description: 'Berth: image pulls and logs of the pods of project shop',
      MaxSessionDuration: 3600,
      Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'shop' }],
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: ['sts:AssumeRole'], Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }],
      },
    });
    const [, put] = sent[1]!;
    expect(put.RoleName).toBe('berth-shop');
    expect(put.PolicyName).toBe('pull-and-logs');
    expect(JSON.parse(put.PolicyDocument as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
        {
          Sid: 'PullOwnAndSharedImages', Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Resource: [
            `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/berth/shop/*`,
            `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/berth/s2i/*`,
            `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/berth/openshift/*`,
            `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/berth/service-proxy`,
          ],
        },
        { Sid: 'OwnLogStreams', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:Berth-Fleet-PodLogs:log-stream:shop/*`] },
        { Sid: 'OwnSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [`arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:berth/shop/*`] },
      ],
    });
  });

  it('finds a role it made before (EntityAlreadyExists), checks it is Berth\'s for the project and rewrites its policy', async () => {
    iam.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: 'Role with name berth-shop already exists.', $metadata: { httpStatusCode: 409 } }));
    iam.on(GetRoleCommand).resolves({ Role: stored('shop') });
    iam.on(PutRolePolicyCommand).resolves({});
    await roles().ensure('shop');
    expect(inputs().map(([name, input]) => [name, input.RoleName])).toEqual([['CreateRoleCommand', 'berth-shop'], ['GetRoleCommand', 'berth-shop'], ['PutRolePolicyCommand', 'berth-shop']]);
  });

  it.each([
    ['on another path', { Path: '/' }],
    ['without the boundary', { PermissionsBoundary: undefined }],
    ['tagged for another project', { Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'other' }] }],
    ['without Berth\'s tags', { Tags: [] }],
  ])('leaves a role of that name alone when it is %s (409 NotOwned, no policy written)', async (_what, over) => {
    iam.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: 'Role with name berth-shop already exists.', $metadata: { httpStatusCode: 409 } }));
    iam.on(GetRoleCommand).resolves({ Role: stored('shop', over) });
    await expect(roles().ensure('shop')).rejects.toMatchObject({ status: 409, code: 'NotOwned' });
    expect(iam.commandCalls(PutRolePolicyCommand)).toEqual([]);
  });

  it('names a long project\'s role within IAM\'s 64 characters, distinct from its neighbours', () => {
    const long = 'a'.repeat(63);
    expect(projectRoleName(long)).toHaveLength(64);
    expect(projectRoleName(long)).not.toBe(projectRoleName(`${'a'.repeat(62)}b`));
  });
});

describe('removing a project\'s role', () => {
  it('deletes its inline policies (pull-and-logs, claim-mounts), then the role: IAM refuses to delete a role that has any', async () => {
    iam.on(GetRoleCommand).resolves({ Role: stored('shop') });
    iam.on(DeleteRolePolicyCommand).resolves({});
    iam.on(DeleteRoleCommand).resolves({});
    await roles().remove('shop');
    expect(inputs()).toEqual([
      ['GetRoleCommand', { RoleName: 'berth-shop' }],
      ['DeleteRolePolicyCommand', { RoleName: 'berth-shop', PolicyName: 'pull-and-logs' }],
      ['DeleteRolePolicyCommand', { RoleName: 'berth-shop', PolicyName: 'claim-mounts' }],
      ['DeleteRoleCommand', { RoleName: 'berth-shop' }],
    ]);
  });

  it('is done when the role is gone already', async () => {
    iam.on(GetRoleCommand).rejects(noSuchRole('berth-shop'));
    await roles().remove('shop');
    expect(inputs().map(([name]) => name)).toEqual(['GetRoleCommand']);
  });

  it('leaves a role of that name that is not Berth\'s alone, without holding up the project\'s deletion', async () => {
    iam.on(GetRoleCommand).resolves({ Role: stored('shop', { Tags: [] }) });
    await roles().remove('shop');
    expect(inputs().map(([name]) => name)).toEqual(['GetRoleCommand']);
  });
});

describe('a project\'s role follows the project (reconciler and finalizer, DynamoDB Local)', () => {
  let t: TestTable;
  beforeAll(async () => {
    t = await freshTable();
  });
  const ref = { kind: 'Project', project: '', name: 'shop' };

  it('is made with the project, recorded in its status, not asked for again, and removed when the project goes', async () => {
    iam.on(CreateRoleCommand).resolves({ Role: stored('shop') });
    iam.on(PutRolePolicyCommand).resolves({});
    iam.on(GetRoleCommand).resolves({ Role: stored('shop') });
    iam.on(DeleteRolePolicyCommand).resolves({});
    iam.on(DeleteRoleCommand).resolves({});
    const r = roles();
    const reconciler = executionRoleReconciler(t.store, r);
    await createProject(t.store, { name: 'shop', requester: 'alice', spec: {} });
    expect(await collect(reconciler.resync!())).toEqual([ref]);

    await reconciler.reconcile(ref);
    const project = (await t.store.get<Project>(ref))!;
    expect(project.status?.executionRole).toEqual(r.desired('shop'));
    expect(project.status?.executionRole?.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/berth/projects/berth-shop`);
    expect(iam.commandCalls(CreateRoleCommand)).toHaveLength(1);

    // Level-triggered and cheap: a role recorded as it should be costs no IAM call.
    await reconciler.reconcile(ref);
    expect(await collect(reconciler.resync!())).toEqual([]);
    expect(iam.calls()).toHaveLength(2);

    await requestProjectDeletion(t.store, 'shop');
    // A terminating project's role is left to the finalizer.
    await reconciler.reconcile(ref);
    expect(iam.calls()).toHaveLength(2);
    const finalizer = projectFinalizer(t.store, { executionRoles: r });
    for (let i = 0; i < 5 && (await t.store.get(ref)); i++) await finalizer.reconcile(ref);
    expect(await t.store.get(ref)).toBeUndefined();
    expect(iam.commandCalls(DeleteRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'berth-shop' }]);
  });

  it('keeps the project while IAM refuses to remove its role (the finalizer retries)', async () => {
    await createProject(t.store, { name: 'stuck', requester: 'alice', spec: {} });
    iam.on(GetRoleCommand).resolves({ Role: stored('stuck') });
    iam.on(DeleteRolePolicyCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await requestProjectDeletion(t.store, 'stuck');
    const finalizer = projectFinalizer(t.store, { executionRoles: roles() });
    await expect(finalizer.reconcile({ kind: 'Project', project: '', name: 'stuck' })).rejects.toThrow(/Rate exceeded/);
    expect(await t.store.get({ kind: 'Project', project: '', name: 'stuck' })).toBeDefined();
  });
});
