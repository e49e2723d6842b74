// What may change in a claim once made: nothing of its spec. Its size is the size of a file
// system already made and counted by quota, its access modes decide where its pods may run.
import { isDeepStrictEqual } from 'node:util';
import { ValidationError } from '../errors.ts';
import type { PersistentVolumeClaimSpec } from '../model/volume-kinds.ts';

/** Refuses (422 naming the field) a replacement spec that differs from the stored one. */
export function admitClaimUpdate(stored: PersistentVolumeClaimSpec, given: PersistentVolumeClaimSpec): void {
  for (const field of ['accessModes', 'resources', 'storageClassName', 'volumeMode'] as const) {
    if (!isDeepStrictEqual(stored[field], given[field])) {
      throw ValidationError.field(`spec.${field}`, 'is immutable once the claim is made; make a new claim (and copy the data) to change it');
    }
  }
}
