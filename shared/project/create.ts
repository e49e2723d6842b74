// Making a project: the Project (Active, carrying the finalizer that removes its contents when
// it is deleted, and who asked for it), its creator's admin binding and its UID block, in one
// all-or-nothing write.
import { BerthError } from '../errors.ts';
import { isPlatformImageNamespace, reservedNameProblem } from '../model/reserved-names.ts';
import type { Labels, NewObject } from '../model/types.ts';
import type { ProjectSpec, RoleBindingSpec } from '../model/kinds.ts';
import type { ObjectStore } from '../store/ports.ts';
import { PROJECT_FINALIZER } from './finalizer.ts';
import { PROJECT_SLOT_ANNOTATION, SLOT_KIND } from './slots.ts';
import type { Project } from './types.ts';
import { createProjectWithUidRange } from './uid-blocks.ts';

/** The annotation naming the user who asked for a project. */
export const REQUESTER_ANNOTATION = 'berth.io/requester';

export interface NewProject {
  name: string;
  /** The user who asks for it: the project's first admin. */
  requester: string;
  labels?: Labels;
  annotations?: Labels;
  spec: ProjectSpec;
  /** Objects written in the same all-or-nothing write (a project slot, a trial's quota, its user). */
  alongside?: NewObject[];
}

/**
 * Creates a project with its requester as admin. AlreadyExistsError when the name is taken.
 * @example const project = await createProject(store, { name: 'shop', requester: 'alice', spec: {} })
 */
export async function createProject(store: ObjectStore, p: NewProject): Promise<Project> {
  const binding: RoleBindingSpec = { role: 'admin', subjects: [{ kind: 'User', name: p.requester }] };
  const slot = p.alongside?.find((o) => o.kind === SLOT_KIND)?.metadata.name;
  const [project] = await createProjectWithUidRange(
    store,
    {
      kind: 'Project',
      metadata: { name: p.name, project: '', labels: p.labels, annotations: { ...p.annotations, [REQUESTER_ANNOTATION]: p.requester, ...(slot ? { [PROJECT_SLOT_ANNOTATION]: slot } : {}) }, finalizers: [PROJECT_FINALIZER] },
      spec: p.spec,
      status: { phase: 'Active' },
    },
    [{ kind: 'RoleBinding', metadata: { name: 'admin', project: p.name }, spec: binding }, ...(p.alongside ?? [])],
  );
  return project as Project;
}

/**
 * Refuses (403, naming metadata.name) a project name the platform keeps: the namespaces of its
 * own images to everybody, its other reserved names to all but cluster-admins.
 * @example await mayCreateProject('openshift', () => identity.isClusterAdmin(user))
 */
export async function mayCreateProject(name: string, isClusterAdmin: () => Promise<boolean>): Promise<void> {
  const reserved = reservedNameProblem(name);
  if (reserved && (isPlatformImageNamespace(name) || !(await isClusterAdmin()))) {
    throw new BerthError(403, 'Forbidden', `metadata.name: ${reserved}`, { details: [{ field: 'metadata.name', message: reserved }], suggestion: 'choose another project name' });
  }
}
