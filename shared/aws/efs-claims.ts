// Persistent volume claims on AWS: one EFS access point per claim on the platform's claims file
// system. EFS rather than EBS: a volume ECS makes at launch (configuredAtLaunch) belongs to one
// task and is deleted when it stops unless told otherwise, and a kept one cannot be given to the
// next task except as a snapshot, so a database's data would not follow its pod; EFS is reachable
// from every zone (no zone pinning for the scheduler), serves ReadWriteOnce, ReadWriteMany and
// ReadOnlyMany alike, and an access point pins both the directory (`/berth/<project>/<claim>-
// <uid>`, made on first mount, owned by the project's UID, mode 0770) and the POSIX user every
// request runs as (the project's UID, group 0), whatever the container's user says.
//
// Who may mount what: pods mount with IAM authorization as their project's role, whose
// claim-mounts policy lists the project's own access points (project-roles.ts claimMountPolicy);
// it is rewritten from the file system's access points tagged with the project whenever one is
// made or deleted. Deleting an access point leaves its directory on the file system: the claim's
// data is wiped after its access point is gone (so no pod can mount it again) by the claims-data
// function, which mounts the file system's /berth (shared/volumes/claim-data.ts).
//
// Size: EFS enforces none, and reports a metered size per file system only (DescribeFileSystems
// SizeInBytes), not per access point or directory. A claim's requested size is what the
// project's quota counts (requests.storage); what a project stores past it is not refused on AWS
// (docs/aws.md, "Persistent volume claims").
//
// EFS API Reference: CreateAccessPoint, DescribeAccessPoints, DeleteAccessPoint
// (https://docs.aws.amazon.com/efs/latest/ug/API_Operations.html).
import {
  AccessPointNotFound,
  CreateAccessPointCommand,
  DeleteAccessPointCommand,
  DescribeAccessPointsCommand,
  type AccessPointDescription,
  type EFSClient,
} from '@aws-sdk/client-efs';
import { BerthError } from '../errors.ts';
import type { ClaimRequest, ClaimStorage } from '../volumes/ports.ts';
import { MANAGED_TAG, PROJECT_TAG } from './ownership.ts';

/** The tag naming the claim an access point serves. */
export const CLAIM_TAG = 'berth:claim';
/** Every claim's directory is under this one on the file system; the wiper mounts it. */
export const CLAIMS_ROOT = '/berth';

const ACCESS_POINT = /^fsap-[0-9a-f]{8,40}$/;
/** A claim's directory: `/berth/<project>/<claim>-<uid>`, DNS-label names and a lowercase uid. */
export const CLAIM_DIRECTORY = /^\/berth\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?-[0-9a-f-]{8,64}$/;

/** The directory of a claim on the file system: its own, under its project's. */
export const claimDirectory = (c: Pick<ClaimRequest, 'project' | 'name' | 'uid'>): string => `${CLAIMS_ROOT}/${c.project}/${c.name}-${c.uid.toLowerCase()}`;

/** Lets a project's pods mount exactly the given access points (IamProjectRoles.allowClaimMounts). */
export interface ClaimMountGrants {
  allowClaimMounts(project: string, fileSystemArn: string, accessPointArns: readonly string[]): Promise<void>;
}

export interface EfsClaimsOptions {
  client: Pick<EFSClient, 'send'>;
  /** The claims file system: `fs-…` and its ARN. */
  fileSystemId: string;
  fileSystemArn: string;
  grants: ClaimMountGrants;
}

const tagsOf = (ap: AccessPointDescription) => Object.fromEntries((ap.Tags ?? []).map((t) => [t.Key, t.Value]));

export class EfsClaims implements ClaimStorage {
  constructor(private readonly o: EfsClaimsOptions) {}

  async provision(claim: ClaimRequest): Promise<{ volumeName: string }> {
    // The claim's uid is the client token: a provisioner that retries gets the same access point.
    const out = await this.o.client.send(new CreateAccessPointCommand({
      ClientToken: claim.uid.slice(0, 64),
      FileSystemId: this.o.fileSystemId,
      PosixUser: { Uid: claim.ownerUid, Gid: 0 },
      RootDirectory: { Path: claimDirectory(claim), CreationInfo: { OwnerUid: claim.ownerUid, OwnerGid: 0, Permissions: '0770' } },
      Tags: [
        { Key: MANAGED_TAG, Value: 'true' },
        { Key: PROJECT_TAG, Value: claim.project },
        { Key: CLAIM_TAG, Value: claim.name },
        { Key: 'Name', Value: `${claim.project}/${claim.name}` },
      ],
    }));
    if (!out.AccessPointId) throw new BerthError(502, 'EfsNoAccessPoint', `EFS made no access point for claim ${claim.project}/${claim.name}`);
    await this.grantMounts(claim.project);
    return { volumeName: out.AccessPointId };
  }

  /**
   * Deletes the claim's access point, then takes it out of its project's mounts (the claims-data
   * function wipes the directory next). An access point already gone is fine; one that is not Berth's, or not on
   * the claims file system, is never touched.
   */
  async remove(volumeName: string): Promise<void> {
    if (!ACCESS_POINT.test(volumeName)) throw new BerthError(400, 'Invalid', `"${volumeName}" is not an EFS access point`);
    const ap = await this.describe(volumeName);
    if (!ap) return;
    const tags = tagsOf(ap);
    const path = ap.RootDirectory?.Path ?? '';
    if (ap.FileSystemId !== this.o.fileSystemId || tags[MANAGED_TAG] !== 'true' || !tags[PROJECT_TAG] || !CLAIM_DIRECTORY.test(path) || !path.startsWith(`${CLAIMS_ROOT}/${tags[PROJECT_TAG]}/`)) {
      throw new BerthError(409, 'NotOwned', `EFS access point ${volumeName} is not a Berth claim's on ${this.o.fileSystemId}; it is left alone`);
    }
    await this.o.client.send(new DeleteAccessPointCommand({ AccessPointId: volumeName })).catch((err: unknown) => {
      if (!(err instanceof AccessPointNotFound)) throw err;
    });
    await this.grantMounts(tags[PROJECT_TAG]!);
  }

  /** Rewrites the project's claim-mounts policy from the access points on the file system tagged with it. */
  private async grantMounts(project: string): Promise<void> {
    const arns: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.o.client.send(new DescribeAccessPointsCommand({ FileSystemId: this.o.fileSystemId, ...(NextToken ? { NextToken } : {}) }));
      for (const ap of page.AccessPoints ?? []) {
        const tags = tagsOf(ap);
        if (tags[MANAGED_TAG] === 'true' && tags[PROJECT_TAG] === project && ap.LifeCycleState !== 'deleting' && ap.LifeCycleState !== 'deleted' && ap.AccessPointArn) arns.push(ap.AccessPointArn);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    await this.o.grants.allowClaimMounts(project, this.o.fileSystemArn, arns);
  }

  private async describe(AccessPointId: string): Promise<AccessPointDescription | undefined> {
    try {
      return (await this.o.client.send(new DescribeAccessPointsCommand({ AccessPointId }))).AccessPoints?.[0];
    } catch (err) {
      if (err instanceof AccessPointNotFound) return undefined;
      throw err;
    }
  }
}
