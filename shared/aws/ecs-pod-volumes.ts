// A pod's claims and scratch directories in its ECS task definition (pure; STYLE 8). On AWS a
// claim is an EFS access point (efs-claims.ts): the task mounts the platform's file system
// through it, with TLS in transit and IAM authorization as the task role (the project's role,
// whose claim-mounts policy names its own claims' access points only), and the access point pins the directory (one per claim) and
// the POSIX user (the project's UID), so a pod sees its claim's directory only and writes as its
// project. ECS mounts an access point at its root only, so a subPath is refused here rather than
// silently ignored. An emptyDir is a task-scoped tmpfs volume of its size, owned by the UID.
import type { ContainerDefinition, Volume } from '@aws-sdk/client-ecs';
import { BerthError } from '../errors.ts';
import type { PodSpecForHost } from '../fleet/types.ts';

/** Where claims live on AWS: the platform's EFS file system. */
export interface EfsSettings {
  fileSystemId: string;
}

/**
 * The task definition's volumes and the container's mount points for the pod's mounts.
 * @example taskVolumesOf(spec, 1000120000, { fileSystemId: 'fs-0123' }) // { volumes: [{ name: 'claim-fsap-…', efsVolumeConfiguration: … }], mountPoints: [...] }
 */
export function taskVolumesOf(spec: PodSpecForHost, uid: number, efs?: EfsSettings): { volumes: Volume[]; mountPoints: NonNullable<ContainerDefinition['mountPoints']> } {
  const volumes = new Map<string, Volume>();
  const mountPoints: NonNullable<ContainerDefinition['mountPoints']> = [];
  (spec.mounts ?? []).forEach((m, i) => {
    if (m.claim) {
      if (!efs) throw new BerthError(501, 'VolumesNotServed', `pod ${spec.project}/${spec.pod}: this platform has no file system for persistent volume claims`);
      if (m.claim.subPath) throw new BerthError(501, 'SubPathNotServed', `pod ${spec.project}/${spec.pod}: ECS hosts mount a claim at its root only (subPath ${m.claim.subPath})`, { suggestion: 'mount the claim without subPath and point the application at the directory inside it' });
      const name = `claim-${m.claim.volumeName}`;
      volumes.set(name, {
        name,
        efsVolumeConfiguration: {
          fileSystemId: efs.fileSystemId,
          rootDirectory: '/',
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: m.claim.volumeName, iam: 'ENABLED' },
        },
      });
      mountPoints.push({ sourceVolume: name, containerPath: m.target, readOnly: m.readOnly });
      return;
    }
    if (m.emptyDir) {
      const name = `scratch-${i}`;
      volumes.set(name, { name, dockerVolumeConfiguration: { scope: 'task', driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: `size=${m.emptyDir.sizeBytes},uid=${uid},mode=0700` } } });
      mountPoints.push({ sourceVolume: name, containerPath: m.target, readOnly: m.readOnly });
    }
  });
  return { volumes: [...volumes.values()], mountPoints };
}
