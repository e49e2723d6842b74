// Persistent volume claims on AWS: one EFS access point per claim on the platform's file system.
// EFS rather than EBS: a volume ECS makes at launch (configuredAtLaunch) belongs to one task and
// is deleted when it stops unless told otherwise, and a kept one cannot be given to the next task
// except as a snapshot, so a database's data would not follow its pod; EFS is reachable from
// every zone (no zone pinning for the scheduler), serves ReadWriteOnce, ReadWriteMany and
// ReadOnlyMany alike, and an access point pins both the directory (`/berth/<project>/<claim>-
// <uid>`, made on first mount, owned by the project's UID, mode 0770) and the POSIX user every
// request runs as (the project's UID, group 0), whatever the container's user says. EFS does not
// enforce a size: a claim's requested size is what quota counts (requests.storage), and what the
// project stores beyond it is not refused by the file system (docs/aws.md, Volumes).
//
// The port is the two calls used, in the shapes of the EFS API Reference (CreateAccessPoint,
// DeleteAccessPoint); an EFSClient of @aws-sdk/client-efs fits it in one line each.
import { BerthError } from '../errors.ts';
import type { ClaimRequest, ClaimStorage } from '../volumes/ports.ts';

/** CreateAccessPoint's request, as https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html gives it (the fields used). */
export interface CreateAccessPointInput {
  ClientToken: string;
  FileSystemId: string;
  PosixUser: { Uid: number; Gid: number };
  RootDirectory: { Path: string; CreationInfo: { OwnerUid: number; OwnerGid: number; Permissions: string } };
  Tags: { Key: string; Value: string }[];
}

export interface EfsAccessPointsApi {
  createAccessPoint(input: CreateAccessPointInput): Promise<{ AccessPointId?: string }>;
  deleteAccessPoint(input: { AccessPointId: string }): Promise<unknown>;
}

const ACCESS_POINT = /^fsap-[0-9a-f]{8,40}$/;

/** The directory of a claim on the file system: its own, under its project's. */
export const claimDirectory = (c: Pick<ClaimRequest, 'project' | 'name' | 'uid'>): string => `/berth/${c.project}/${c.name}-${c.uid.toLowerCase()}`;

export class EfsClaims implements ClaimStorage {
  constructor(
    private readonly api: EfsAccessPointsApi,
    private readonly fileSystemId: string,
  ) {}

  async provision(claim: ClaimRequest): Promise<{ volumeName: string }> {
    // The claim's uid is the client token: a provisioner that retries gets the same access point.
    const out = await this.api.createAccessPoint({
      ClientToken: claim.uid.slice(0, 64),
      FileSystemId: this.fileSystemId,
      PosixUser: { Uid: claim.ownerUid, Gid: 0 },
      RootDirectory: { Path: claimDirectory(claim), CreationInfo: { OwnerUid: claim.ownerUid, OwnerGid: 0, Permissions: '0770' } },
      Tags: [
        { Key: 'berth:managed', Value: 'true' },
        { Key: 'berth:project', Value: claim.project },
        { Key: 'berth:claim', Value: claim.name },
        { Key: 'Name', Value: `${claim.project}/${claim.name}` },
      ],
    });
    if (!out.AccessPointId) throw new BerthError(502, 'EfsNoAccessPoint', `EFS made no access point for claim ${claim.project}/${claim.name}`);
    return { volumeName: out.AccessPointId };
  }

  async remove(volumeName: string): Promise<void> {
    if (!ACCESS_POINT.test(volumeName)) throw new BerthError(400, 'Invalid', `"${volumeName}" is not an EFS access point`);
    await this.api.deleteAccessPoint({ AccessPointId: volumeName }).catch((err: { name?: string }) => {
      if (err.name !== 'AccessPointNotFound') throw err;
    });
  }
}
