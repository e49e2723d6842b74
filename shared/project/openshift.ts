// The shared project `openshift`: the platform's image streams (the Python builder, PostgreSQL,
// Redis, MariaDB) and, later, its templates. Every signed-in user may read it (a `view` binding
// to the group of all authenticated users, as OpenShift's shared-resource-viewers); only
// cluster-admins may change it, since nobody else holds a role there that writes.
import { AUTHENTICATED_GROUP } from '../auth/rbac.ts';
import { AlreadyExistsError, ignoring } from '../errors.ts';
import type { RoleBindingSpec } from '../model/kinds.ts';
import type { ObjectStore } from '../store/ports.ts';
import { SHARED_PROJECT } from '../model/reserved-names.ts';
import { createProject } from './create.ts';

export { SHARED_PROJECT } from '../model/reserved-names.ts';

/** The binding that lets every signed-in user read the shared project. */
export const SHARED_VIEWERS_BINDING = 'shared-resource-viewers';

/** The requester recorded on the shared project: the platform, not a user (no user name has a ":"). */
const PLATFORM_REQUESTER = 'system:admin';

/**
 * Makes the shared project and its readers' binding when they are missing; safe to call at every
 * start (npm run up, the API's first cold start on AWS).
 * @example await ensureSharedProject(store)
 */
export async function ensureSharedProject(store: ObjectStore): Promise<void> {
  if (!(await store.get({ kind: 'Project', project: '', name: SHARED_PROJECT }))) {
    await createProject(store, {
      name: SHARED_PROJECT,
      requester: PLATFORM_REQUESTER,
      annotations: { 'openshift.io/description': 'Images and templates every user may use' },
      spec: {},
    }).catch(ignoring(AlreadyExistsError));
  }
  if (await store.get({ kind: 'RoleBinding', project: SHARED_PROJECT, name: SHARED_VIEWERS_BINDING })) return;
  const viewers: RoleBindingSpec = { role: 'view', subjects: [{ kind: 'Group', name: AUTHENTICATED_GROUP }] };
  await store.create({ kind: 'RoleBinding', metadata: { name: SHARED_VIEWERS_BINDING, project: SHARED_PROJECT }, spec: viewers }).catch(ignoring(AlreadyExistsError));
}
