// Claims on AWS. The provisioner's requests to EFS, asserted exactly against the shapes of the
// EFS API Reference (CreateAccessPoint: https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html,
// DeleteAccessPoint: https://docs.aws.amazon.com/efs/latest/ug/API_DeleteAccessPoint.html, its
// AccessPointNotFound error), through a recorder of the port's calls (the EFS SDK client is not
// a dependency yet); and the ECS task definition of a pod with a claim and an emptyDir, as the
// ECS Developer Guide's "Specify an Amazon EFS file system in an Amazon ECS task definition"
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specify-efs-config.html) and the
// RegisterTaskDefinition reference give them: an access point needs transit encryption and a
// rootDirectory of "/" or none.
import { describe, expect, it } from 'vitest';
import { taskDefinitionInput } from '../../shared/aws/ecs-pod-spec.ts';
import { EfsClaims, type CreateAccessPointInput, type EfsAccessPointsApi } from '../../shared/aws/efs-claims.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';

const UID = 1_000_120_000;
const CLAIM_UID = '7f1c2a4e-93b1-4d55-8c3e-0a9d51e2c6b7';

function recorder(reply: (op: string, input: unknown) => unknown = () => ({ AccessPointId: 'fsap-0123456789abcdef0' })) {
  const calls: [string, unknown][] = [];
  const api: EfsAccessPointsApi = {
    async createAccessPoint(input: CreateAccessPointInput) {
      calls.push(['CreateAccessPoint', input]);
      return reply('CreateAccessPoint', input) as { AccessPointId?: string };
    },
    async deleteAccessPoint(input) {
      calls.push(['DeleteAccessPoint', input]);
      const r = reply('DeleteAccessPoint', input);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  return { api, calls };
}

describe('EFS access points for claims', () => {
  it('a claim gets one access point: its own directory owned by the project\'s UID, every request as that UID, tagged as Berth\'s', async () => {
    const { api, calls } = recorder();
    const out = await new EfsClaims(api, 'fs-0abc1234def567890').provision({ project: 'shop', name: 'db', uid: CLAIM_UID, bytes: 2 ** 30, ownerUid: UID });
    expect(out).toEqual({ volumeName: 'fsap-0123456789abcdef0' });
    expect(calls).toEqual([
      [
        'CreateAccessPoint',
        {
          ClientToken: CLAIM_UID,
          FileSystemId: 'fs-0abc1234def567890',
          PosixUser: { Uid: UID, Gid: 0 },
          RootDirectory: { Path: `/berth/shop/db-${CLAIM_UID}`, CreationInfo: { OwnerUid: UID, OwnerGid: 0, Permissions: '0770' } },
          Tags: [
            { Key: 'berth:managed', Value: 'true' },
            { Key: 'berth:project', Value: 'shop' },
            { Key: 'berth:claim', Value: 'db' },
            { Key: 'Name', Value: 'shop/db' },
          ],
        },
      ],
    ]);
  });

  it('deleting removes the access point; one already gone is fine, other errors are not swallowed, and a name that is no access point is refused unsent', async () => {
    const gone = Object.assign(new Error('not found'), { name: 'AccessPointNotFound' });
    const { api, calls } = recorder(() => gone);
    await new EfsClaims(api, 'fs-0abc1234def567890').remove('fsap-0123456789abcdef0');
    expect(calls).toEqual([['DeleteAccessPoint', { AccessPointId: 'fsap-0123456789abcdef0' }]]);
    const denied = recorder(() => Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(new EfsClaims(denied.api, 'fs-0abc1234def567890').remove('fsap-0123456789abcdef0')).rejects.toThrow('denied');
    const unsent = recorder();
    await expect(new EfsClaims(unsent.api, 'fs-1').remove('pvc-0123')).rejects.toMatchObject({ status: 400 });
    expect(unsent.calls).toEqual([]);
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

  it('mounts the claim\'s access point with TLS in transit, once per claim, and the emptyDir as a task-scoped tmpfs owned by the UID', () => {
    const td = taskDefinitionInput(spec, { region: 'eu-west-1', uid: UID, efs: { fileSystemId: 'fs-0abc1234def567890' } });
    expect(td.volumes).toEqual([
      { name: 'claim-fsap-0123456789abcdef0', efsVolumeConfiguration: { fileSystemId: 'fs-0abc1234def567890', rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-0123456789abcdef0', iam: 'DISABLED' } } },
      { name: 'scratch-2', dockerVolumeConfiguration: { scope: 'task', driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: `size=${32 * 2 ** 20},uid=${UID},mode=0700` } } },
    ]);
    expect(td.containerDefinitions![0]!.mountPoints).toEqual([
      { sourceVolume: 'claim-fsap-0123456789abcdef0', containerPath: '/var/lib/pgsql/data', readOnly: false },
      { sourceVolume: 'claim-fsap-0123456789abcdef0', containerPath: '/backup', readOnly: true },
      { sourceVolume: 'scratch-2', containerPath: '/tmp/scratch', readOnly: false },
    ]);
  });

  it.each([
    ['a claim on a platform without a file system for claims', { ...spec }, undefined, 'VolumesNotServed'],
    ['a subPath, which ECS cannot mount from an access point', { ...spec, mounts: [{ target: '/d', readOnly: false, claim: { name: 'db', volumeName: 'fsap-0123456789abcdef0', subPath: 'pg' } }] }, { fileSystemId: 'fs-1' }, 'SubPathNotServed'],
  ])('refuses %s (501, saying why), rather than starting the pod without its data', (_what, s, efs, code) => {
    expect(() => taskDefinitionInput(s, { region: 'eu-west-1', uid: UID, ...(efs ? { efs } : {}) })).toThrow(expect.objectContaining({ status: 501, code }));
  });
});
