// Cancelling a build: the user marks it (spec.cancelled); the build reconciler stops its agent
// and finishes it as Cancelled. A build that has already ended is left as it is.
import { NotFoundError } from '../errors.ts';
import type { ObjectRef } from '../model/types.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Build } from './instantiate.ts';
import { isTerminal } from './plan.ts';

/**
 * Asks for a build to be cancelled; returns the build as stored. Idempotent.
 * @example await cancelBuild(store, { kind: 'Build', project: 'shop', name: 'web-2' })
 */
export async function cancelBuild(store: ObjectStore, ref: ObjectRef): Promise<Build> {
  const build = await patchObject<Build>(store, ref, (b) => (isTerminal(b) || b.spec.cancelled ? undefined : { ...b, spec: { ...b.spec, cancelled: true } }));
  if (!build) throw new NotFoundError('Build', ref.name);
  return build;
}
