// What a dry-run create answers with: the object as it would be stored, with metadata the store
// has not given it yet left empty.
import type { BerthObject, Labels } from '../model/types.ts';

export function dryRunObject(kind: string, project: string, name: string, maps: { labels: Labels; annotations: Labels }, spec: unknown): BerthObject {
  return { kind, metadata: { name, project, uid: '', resourceVersion: '', generation: 1, creationTimestamp: new Date().toISOString(), ...maps }, spec, status: {} };
}
