// Deleting a project: it is marked (deletionTimestamp, phase Terminating) and the project
// finalizer removes its contents, then the project. Nothing can be created in it meanwhile.
import { NotFoundError } from '../errors.ts';
import { patchObject, patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { projectRef, type Project } from './types.ts';

/**
 * Marks a project Terminating; the project finalizer does the rest. Idempotent.
 * @example await requestProjectDeletion(store, 'shop') // the project, phase Terminating
 */
export async function requestProjectDeletion(store: ObjectStore, name: string, now: Date = new Date()): Promise<Project> {
  const ref = projectRef(name);
  const marked = await patchObject<Project>(store, ref, (p) => (p.metadata.deletionTimestamp ? undefined : { ...p, metadata: { ...p.metadata, deletionTimestamp: now.toISOString() } }));
  if (!marked) throw new NotFoundError('Project', name);
  return (await patchStatus<Project>(store, ref, (p) => (p.status?.phase === 'Terminating' ? undefined : { ...p.status, phase: 'Terminating' }))) ?? marked;
}
