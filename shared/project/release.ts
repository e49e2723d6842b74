// What a finalised project gives back before it goes: the slot it held among its creator's
// self-provisioned projects (slots.ts), and the name on its UID block. The block itself stays
// claimed for good (a deleted project's files on volumes never become another's), but no longer
// says whose it was, so that nothing in the table names a deleted tenant.
import { NotFoundError, ignoring } from '../errors.ts';
import type { BerthObject } from '../model/types.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { PROJECT_SLOT_ANNOTATION, SLOT_KIND } from './slots.ts';
import { uidBlockOf } from './uid-blocks.ts';

/** Idempotent: a second pass finds nothing to do. */
export async function releaseProjectClaims(store: ObjectStore, project: BerthObject): Promise<void> {
  const slot = project.metadata.annotations?.[PROJECT_SLOT_ANNOTATION];
  if (slot) await store.delete({ kind: SLOT_KIND, project: '', name: slot }).catch(ignoring(NotFoundError));
  const block = uidBlockOf(project);
  if (block) await patchObject<BerthObject<{ project?: string }>>(store, block, (b) => (b.spec.project === project.metadata.name ? { ...b, spec: { retired: true } as never } : undefined));
}
