// Each project's own cloud identity for its pods (on AWS, the task execution role that pulls the
// project's images and ships its pods' logs): made when the project is made, changed when what it
// should be changes, removed by the project finalizer once the project's pods are gone. The
// reconciler is level-triggered: the project's status records the role as made
// (`status.executionRole`: its ARN and the version of its policy), so a pass over projects whose
// role is as it should be costs no call to the cloud; a failed call is retried by the runner.
import { NotFoundError, ignoring } from '../errors.ts';
import type { ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachOfKind } from '../store/each.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { refOf } from '../model/types.ts';
import type { Project } from './types.ts';

export interface ExecutionRoleRecord {
  arn: string;
  /** A fingerprint of everything the role is made of. */
  version: string;
}

/** The port of per-project roles (shared/aws/iam-project-roles.ts on AWS). */
export interface ProjectExecutionRoles {
  /** What the project's role should be; pure, no call to the cloud. */
  desired(project: string): ExecutionRoleRecord;
  /** Makes the role as it should be (create, or find it Berth's and rewrite its policy). Idempotent. */
  ensure(project: string): Promise<void>;
  /** Removes the role; a missing role is fine. Idempotent. */
  remove(project: string): Promise<void>;
}

const upToDate = (p: Project, want: ExecutionRoleRecord) => p.status?.executionRole?.arn === want.arn && p.status.executionRole.version === want.version;
const live = (p: Project | undefined): p is Project => p !== undefined && !p.metadata.deletionTimestamp;

/**
 * Keeps every live project's execution role as `roles` says it should be.
 * @example foundationReconcilers(store, { executionRoles: new IamProjectRoles({ client, settings }) })
 */
export function executionRoleReconciler(store: ObjectStore, roles: ProjectExecutionRoles): Reconciler {
  return {
    name: 'project-execution-role',
    kinds: ['Project'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      const project = await store.get<Project>(ref);
      // A deleted project's role is the finalizer's to remove, after its pods.
      if (!live(project)) return {};
      const want = roles.desired(ref.name);
      if (upToDate(project, want)) return {};
      await roles.ensure(ref.name);
      await patchStatus<Project>(store, ref, (p) => (!live(p) || upToDate(p, want) ? undefined : { ...p.status, phase: p.status?.phase ?? 'Active', executionRole: want })).catch(ignoring(NotFoundError));
      // Deleted while its role was being made: the finalizer may have removed the role already.
      if (!live(await store.get<Project>(ref))) await roles.remove(ref.name);
      return {};
    },
    async *resync() {
      for await (const p of eachOfKind<Project>(store, 'Project')) if (live(p) && !upToDate(p, roles.desired(p.metadata.name))) yield refOf(p);
    },
  };
}
