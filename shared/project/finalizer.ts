// Finalises deleted projects: once a project carries a deletionTimestamp, its contents are
// removed first, then what the project holds outside the store (its pods' execution role on
// AWS, its Services' namespace), then the project itself. Safe to stop and resume at any point.
import { ConflictError, NotFoundError, ignoring } from '../errors.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { deleteObject } from '../store/deletion.ts';
import { eachOfKind } from '../store/each.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { releaseProjectClaims } from './release.ts';
import type { ProjectExecutionRoles } from './execution-roles.ts';

export const PROJECT_FINALIZER = 'berth.io/project-contents';
/** How many objects one pass deletes before asking to be called again (bounded Lambda time). */
const BATCH = 200;
/** How soon to look again while objects wait for their finalizers (pods for their hosts). */
const WAIT_MS = 2_000;
/** How soon to look again while the project's namespace is being deleted (a Route 53 zone: up to a minute or so). */
const NAMESPACE_WAIT_MS = 10_000;

export interface ProjectFinalizerOptions {
  /** The projects' execution roles, removed once a project's pods are gone (before the project). */
  executionRoles?: Pick<ProjectExecutionRoles, 'remove'>;
  /** Where the project's pods' Secret values are kept outside the table (Secrets Manager on AWS), removed with it. */
  podSecrets?: { removeProject(project: string): Promise<unknown> };
  /** The registry: every repository of the project's namespace goes with it (ImageRegistry.deleteProjectRepositories). */
  images?: { deleteProjectRepositories(project: string): Promise<unknown> };
  /** Push connections' subscriptions to the project (shared/push), removed with it. */
  watchers?: { forgetProject(project: string): Promise<unknown> };
  /** The project's namespace in the name service (Cloud Map on AWS): the project waits until it has gone. */
  serviceDiscovery?: { removeProject(project: string): Promise<'done' | 'pending'> };
}

export function projectFinalizer(store: ObjectStore, opts: ProjectFinalizerOptions = {}): Reconciler {
  return {
    name: 'project-finalizer',
    kinds: ['Project'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      const project = await store.get(ref);
      if (!project?.metadata.deletionTimestamp) return {};
      const page = await store.listProject(project.metadata.name, { limit: BATCH });
      let waiting = 0;
      for (const o of page.items) {
        // An object with finalizers (a pod on a host) is marked; its finalizer's owner removes it.
        if ((await deleteObject(store, refOf(o)).catch(ignoring(NotFoundError))) === 'marked') waiting++;
      }
      if (page.continue || page.items.length === BATCH) return { requeueAfter: 0 };
      if (waiting) return { requeueAfter: WAIT_MS };
      // Nothing left in the store: what the project holds outside it goes (its execution role, its pods' secrets),
      // it gives back its creator's slot, its UID block stops naming it (the block stays claimed,
      // see uid-blocks.ts), and it can go. A concurrent change to it just means another pass.
      await opts.executionRoles?.remove(project.metadata.name);
      await opts.podSecrets?.removeProject(project.metadata.name);
      await opts.images?.deleteProjectRepositories(project.metadata.name);
      await opts.watchers?.forgetProject(project.metadata.name);
      if ((await opts.serviceDiscovery?.removeProject(project.metadata.name)) === 'pending') return { requeueAfter: NAMESPACE_WAIT_MS };
      await releaseProjectClaims(store, project);
      await store.delete(ref, { resourceVersion: project.metadata.resourceVersion }).catch(ignoring(NotFoundError, ConflictError));
      return (await store.get(ref)) ? { requeueAfter: 0 } : {};
    },
    async *resync() {
      for await (const p of eachOfKind(store, 'Project')) if (p.metadata.deletionTimestamp) yield refOf(p);
    },
  };
}
