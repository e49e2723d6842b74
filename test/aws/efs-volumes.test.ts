// Claims on AWS. The provisioner's requests to EFS and IAM through aws-sdk-client-mock, asserted
// exactly, with answers in the shapes of the EFS API Reference (CreateAccessPoint:
// https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html, DescribeAccessPoints:
// https://docs.aws.amazon.com/efs/latest/ug/API_DescribeAccessPoints.html, DeleteAccessPoint:
// https://docs.aws.amazon.com/efs/latest/ug/API_DeleteAccessPoint.html and its AccessPointNotFound
// error) and the IAM API Reference (GetRole, PutRolePolicy, DeleteRolePolicy); and the ECS task
// definition of a pod with a claim and an emptyDir, as the ECS Developer Guide's "Specify an
// Amazon EFS file system in an Amazon ECS task definition"
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specify-efs-config.html) and the
// RegisterTaskDefinition reference give them: an access point needs transit encryption and a
// rootDirectory of "/" or none; IAM authorization uses the task role.
import { AccessPointNotFound, CreateAccessPointCommand, DeleteAccessPointCommand, DescribeAccessPointsCommand, EFSClient, type AccessPointDescription } from '@aws-sdk/client-efs';
import { DeleteRolePolicyCommand, GetRoleCommand, IAMClient, NoSuchEntityException, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { taskDefinitionInput } from '../../shared/aws/ecs-pod-spec.ts';
import { EfsClaims } from '../../shared/aws/efs-claims.ts';
import { IamProjectRoles } from '../../shared/aws/iam-project-roles.ts';
import { projectRoleArn } from '../../shared/aws/project-roles.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';

const UID = 1_000_120_000;
const CLAIM_UID = '7f1c2a4e-93b1-4d55-8c3e-0a9d51e2c6b7';
const ACCOUNT = '111122223333';
const FS = 'fs-0abc1234def567890';
const FS_ARN = `arn:aws:elasticfilesystem:eu-west-1:${ACCOUNT}:file-system/${FS}`;
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/berth/Berth-Fleet-ProjectRolesBoundary`;
const apArn = (id: string) => `arn:aws:elasticfilesystem:eu-west-1:${ACCOUNT}:access-point/${id}`;

const efs = mockClient(EFSClient);
const iam = mockClient(IAMClient);

/** An access point as DescribeAccessPoints describes it (EFS API Reference, AccessPointDescription). */
const described = (id: string, project: string, claim: string, extra: Partial<AccessPointDescription> = {}): AccessPointDescription => ({
  AccessPointId: id, AccessPointArn: apArn(id), FileSystemId: FS, LifeCycleState: 'available', OwnerId: ACCOUNT, Name: `${project}/${claim}`,
  PosixUser: { Uid: UID, Gid: 0 },
  RootDirectory: { Path: `/berth/${project}/${claim}-${CLAIM_UID}`, CreationInfo: { OwnerUid: UID, OwnerGid: 0, Permissions: '0770' } },
  Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: project }, { Key: 'berth:claim', Value: claim }, { Key: 'Name', Value: `${project}/${claim}` }],
  ...extra,
});

const claims = () => new EfsClaims({
  client: new EFSClient({ region: 'eu-west-1' }), fileSystemId: FS, fileSystemArn: FS_ARN,
  grants: new IamProjectRoles({ client: new IAMClient({ region: 'eu-west-1' }), boundaryArn: BOUNDARY, region: 'eu-west-1', repositoryPrefix: 'berth' }),
});
const calls = () => [...efs.calls(), ...iam.calls()].map((c) => {
  const command = c.args[0] as unknown as { constructor: { name: string }; input: unknown };
  return [command.constructor.name.replace(/Command$/, ''), command.input];
});

beforeEach(() => {
  efs.reset();
  iam.reset();
  // IAM API Reference, GetRole: the project's role, Berth's (path, boundary, tags).
  iam.on(GetRoleCommand).callsFake((input: { RoleName: string }) => ({
    Role: {
      Path: '/berth/projects/', RoleName: input.RoleName, RoleId: 'AROA1234567890EXAMPLE', Arn: `arn:aws:iam::${ACCOUNT}:role/berth/projects/${input.RoleName}`, CreateDate: new Date(),
      PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: BOUNDARY },
      Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: input.RoleName.replace(/^berth-/, '') }],
    },
  }));
  iam.on(PutRolePolicyCommand).resolves({});
  iam.on(DeleteRolePolicyCommand).resolves({});
});

describe('EFS access points for claims', () => {
  it('a claim gets one access point (its own directory owned by the project\'s UID, every request as that UID, tagged as Berth\'s), and its project\'s role may mount exactly its project\'s access points', async () => {
    // EFS API Reference, CreateAccessPoint: the AccessPointDescription of the new access point.
    efs.on(CreateAccessPointCommand).resolves(described('fsap-0123456789abcdef0', 'shop', 'db', { LifeCycleState: 'creating' }));
    // Another project's access point on the same file system, and an older claim of this project: listed, only this project's kept.
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [described('fsap-0123456789abcdef0', 'shop', 'db'), described('fsap-0fedcba987654321f', 'victim', 'db'), described('fsap-0aaaaaaaaaaaaaaa1', 'shop', 'cache')] });
    const out = await claims().provision({ project: 'shop', name: 'db', uid: CLAIM_UID, bytes: 2 ** 30, ownerUid: UID });
    expect(out).toEqual({ volumeName: 'fsap-0123456789abcdef0' });
    expect(calls()).toEqual([
      ['CreateAccessPoint', {
        ClientToken: CLAIM_UID,
        FileSystemId: FS,
        PosixUser: { Uid: UID, Gid: 0 },
        RootDirectory: { Path: `/berth/shop/db-${CLAIM_UID}`, CreationInfo: { OwnerUid: UID, OwnerGid: 0, Permissions: '0770' } },
        Tags: [
          { Key: 'berth:managed', Value: 'true' },
          { Key: 'berth:project', Value: 'shop' },
          { Key: 'berth:claim', Value: 'db' },
          { Key: 'Name', Value: 'shop/db' },
        ],
      }],
      ['DescribeAccessPoints', { FileSystemId: FS }],
      ['GetRole', { RoleName: 'berth-shop' }],
      ['PutRolePolicy', {
        RoleName: 'berth-shop',
        PolicyName: 'claim-mounts',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{
            Sid: 'MountOwnClaims', Effect: 'Allow', Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], Resource: [FS_ARN],
            Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': [apArn('fsap-0123456789abcdef0'), apArn('fsap-0aaaaaaaaaaaaaaa1')] } },
          }, {
            // The pods with claims run with this role as task role: ECS Exec's agent needs its channels.
            Sid: 'ExecChannels', Effect: 'Allow', Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'], Resource: ['*'],
          }],
        }),
      }],
    ]);
  });

  it('pages through the file system\'s access points (NextToken) before writing the grant', async () => {
    efs.on(CreateAccessPointCommand).resolves(described('fsap-0123456789abcdef0', 'shop', 'db'));
    efs.on(DescribeAccessPointsCommand, { FileSystemId: FS }).resolves({ AccessPoints: [described('fsap-0aaaaaaaaaaaaaaa1', 'shop', 'cache')], NextToken: 'page-2' });
    efs.on(DescribeAccessPointsCommand, { FileSystemId: FS, NextToken: 'page-2' }).resolves({ AccessPoints: [described('fsap-0123456789abcdef0', 'shop', 'db')] });
    await claims().provision({ project: 'shop', name: 'db', uid: CLAIM_UID, bytes: 2 ** 30, ownerUid: UID });
    const put = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
    expect(JSON.parse(put.PolicyDocument!).Statement[0].Condition.StringEquals['elasticfilesystem:AccessPointArn']).toEqual([apArn('fsap-0123456789abcdef0'), apArn('fsap-0aaaaaaaaaaaaaaa1')]);
  });

  it('a claim of a project whose role is not made yet waits: an error, so the provisioner retries (the same client token, the same access point)', async () => {
    efs.on(CreateAccessPointCommand).resolves(described('fsap-0123456789abcdef0', 'shop', 'db'));
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [described('fsap-0123456789abcdef0', 'shop', 'db')] });
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'The role with name berth-shop cannot be found.', $metadata: { httpStatusCode: 404 } }));
    await expect(claims().provision({ project: 'shop', name: 'db', uid: CLAIM_UID, bytes: 2 ** 30, ownerUid: UID })).rejects.toThrow(/berth-shop .*not made yet/);
    expect(iam.commandCalls(PutRolePolicyCommand)).toEqual([]);
  });

  it('deleting removes the access point, then the grant: the project\'s last claim gone, its claim-mounts policy goes', async () => {
    efs.on(DescribeAccessPointsCommand, { AccessPointId: 'fsap-0123456789abcdef0' }).resolves({ AccessPoints: [described('fsap-0123456789abcdef0', 'shop', 'db')] });
    efs.on(DescribeAccessPointsCommand, { FileSystemId: FS }).resolves({ AccessPoints: [described('fsap-0123456789abcdef0', 'shop', 'db', { LifeCycleState: 'deleting' }), described('fsap-0fedcba987654321f', 'victim', 'db')] });
    efs.on(DeleteAccessPointCommand).resolves({});
    await claims().remove('fsap-0123456789abcdef0');
    expect(calls()).toEqual([
      ['DescribeAccessPoints', { AccessPointId: 'fsap-0123456789abcdef0' }],
      ['DeleteAccessPoint', { AccessPointId: 'fsap-0123456789abcdef0' }],
      ['DescribeAccessPoints', { FileSystemId: FS }],
      ['GetRole', { RoleName: 'berth-shop' }],
      ['DeleteRolePolicy', { RoleName: 'berth-shop', PolicyName: 'claim-mounts' }],
    ]);
  });

  it('an access point already gone is fine; other errors are not swallowed; a name that is no access point is refused unsent', async () => {
    efs.on(DescribeAccessPointsCommand).rejects(new AccessPointNotFound({ message: 'Access point fsap-0123456789abcdef0 does not exist.', ErrorCode: 'AccessPointNotFound', $metadata: { httpStatusCode: 404 } }));
    await claims().remove('fsap-0123456789abcdef0');
    expect(calls().map((c) => c[0])).toEqual(['DescribeAccessPoints']);
    efs.reset();
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [described('fsap-0123456789abcdef0', 'shop', 'db')] });
    efs.on(DeleteAccessPointCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(claims().remove('fsap-0123456789abcdef0')).rejects.toThrow('denied');
    efs.reset();
    await expect(claims().remove('pvc-0123')).rejects.toMatchObject({ status: 400 });
    expect(efs.calls()).toEqual([]);
  });

  it.each([
    ['not tagged as Berth\'s', { Tags: [{ Key: 'team', Value: 'ops' }] }],
    ['on another file system', { FileSystemId: 'fs-0999999999999999a' }],
    ['rooted outside its project\'s directory', { RootDirectory: { Path: '/' } }],
  ])('never deletes an access point %s', async (_what, extra) => {
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [described('fsap-0123456789abcdef0', 'shop', 'db', extra)] });
    await expect(claims().remove('fsap-0123456789abcdef0')).rejects.toMatchObject({ status: 409, code: 'NotOwned' });
    expect(efs.commandCalls(DeleteAccessPointCommand)).toEqual([]);
  });
});

describe('the task definition of a pod with volumes', () => {
  const spec: PodSpecForHost = {
    project: 'shop',
    deployment: 'db',
    revision: 2,
    pod: 'db-2-abcde',
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/db@sha256:' + 'a'.repeat(64),
    env: [],
    ports: [],
    resources: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 },
    uid: UID,
    mounts: [
      { target: '/var/lib/pgsql/data', readOnly: false, claim: { name: 'db', volumeName: 'fsap-0123456789abcdef0' } },
      { target: '/backup', readOnly: true, claim: { name: 'db', volumeName: 'fsap-0123456789abcdef0' } },
      { target: '/tmp/scratch', readOnly: false, emptyDir: { sizeBytes: 32 * 2 ** 20 } },
    ],
  };

  it('mounts the claim\'s access point with TLS in transit and IAM authorization as the project\'s role, once per claim, and the emptyDir as a task-scoped tmpfs owned by the UID', () => {
    const td = taskDefinitionInput(spec, { region: 'eu-west-1', uid: UID, efs: { fileSystemId: 'fs-0abc1234def567890' }, executionRoleOf: (p) => projectRoleArn(BOUNDARY, p) });
    expect(td.taskRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/berth/projects/berth-shop`);
    expect(td.executionRoleArn).toBe(td.taskRoleArn);
    expect(td.volumes).toEqual([
      { name: 'claim-fsap-0123456789abcdef0', efsVolumeConfiguration: { fileSystemId: 'fs-0abc1234def567890', rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-0123456789abcdef0', iam: 'ENABLED' } } },
      { name: 'scratch-2', dockerVolumeConfiguration: { scope: 'task', driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: `size=${32 * 2 ** 20},uid=${UID},mode=0700` } } },
    ]);
    expect(td.containerDefinitions![0]!.mountPoints).toEqual([
      { sourceVolume: 'claim-fsap-0123456789abcdef0', containerPath: '/var/lib/pgsql/data', readOnly: false },
      { sourceVolume: 'claim-fsap-0123456789abcdef0', containerPath: '/backup', readOnly: true },
      { sourceVolume: 'scratch-2', containerPath: '/tmp/scratch', readOnly: false },
    ]);
  });

  it('mounts claims as the project\'s role even where pods otherwise get the fleet\'s pod task role (ECS Exec\'s channels)', () => {
    const podTaskRole = `arn:aws:iam::${ACCOUNT}:role/Berth-Fleet-PodTaskRole`;
    const settings = { region: 'eu-west-1', uid: UID, efs: { fileSystemId: FS }, executionRoleOf: (p: string) => projectRoleArn(BOUNDARY, p), taskRoleArn: podTaskRole };
    expect(taskDefinitionInput(spec, settings).taskRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/berth/projects/berth-shop`);
    expect(taskDefinitionInput({ ...spec, mounts: [spec.mounts![2]!] }, settings).taskRoleArn).toBe(podTaskRole);
  });

  it('gives a pod without claims no task role: its code gets no AWS credentials', () => {
    const td = taskDefinitionInput({ ...spec, mounts: [spec.mounts![2]!] }, { region: 'eu-west-1', uid: UID, efs: { fileSystemId: FS }, executionRoleOf: (p) => projectRoleArn(BOUNDARY, p) });
    expect(td.taskRoleArn).toBeUndefined();
    expect(td.executionRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/berth/projects/berth-shop`);
  });

  it.each([
    ['a claim on a platform without a file system for claims', { ...spec }, undefined, 'VolumesNotServed'],
    ['a subPath, which ECS cannot mount from an access point', { ...spec, mounts: [{ target: '/d', readOnly: false, claim: { name: 'db', volumeName: 'fsap-0123456789abcdef0', subPath: 'pg' } }] }, { fileSystemId: 'fs-1' }, 'SubPathNotServed'],
    ['a claim on a platform without project roles to mount it as', { ...spec }, { fileSystemId: 'fs-1' }, 'VolumesNotServed'],
  ])('refuses %s (501, saying why), rather than starting the pod without its data', (_what, s, efs, code) => {
    expect(() => taskDefinitionInput(s, { region: 'eu-west-1', uid: UID, ...(efs ? { efs } : {}) })).toThrow(expect.objectContaining({ status: 501, code }));
  });
});
