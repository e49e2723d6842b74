// Turns a kind typed by the user (`cm`, `configmaps`, `ConfigMap`, `projects`) into the API paths
// that serve it, through the shared kind registry, so kinds added later work without CLI changes.
import { CLUSTER_KINDS, KIND_NAMES, resolveKind, type KindName } from '../shared/model/kind-names.ts';
import { CliError } from './errors.ts';

export interface Resource {
  kind: string;
  plural: string;
  scope: 'project' | 'cluster';
  /** Whether users may create, change and delete it (Events, for one, only controllers write). */
  writable: boolean;
  /** Whether users may delete it (pods, which only controllers write, for one). */
  deletable: boolean;
}

export function resource(typed: string): Resource {
  const found = resolveKind(typed);
  if (!found) throw new CliError(`unknown kind "${typed}"`, `known kinds: ${knownKinds().join(', ')}`);
  const def = (KIND_NAMES as readonly KindName[]).find((d) => d.kind === found.kind);
  return { ...found, writable: def?.writable ?? true, deletable: (def?.writable ?? true) || Boolean(def?.deletable) };
}

/** The collection path; project-scoped kinds need the project. */
export function collectionPath(r: Resource, project: string | undefined): string {
  if (r.scope === 'cluster') return `/api/v1/${r.plural}`;
  return `/api/v1/projects/${encodeURIComponent(project ?? '')}/${r.plural}`;
}

export function objectPath(r: Resource, project: string | undefined, name: string): string {
  return `${collectionPath(r, project)}/${encodeURIComponent(name)}`;
}

/** Lower-case kind name as kubectl prints it in `configmap "x" deleted`. */
export const kindLabel = (r: Resource): string => r.kind.toLowerCase();

function knownKinds(): string[] {
  const project = (KIND_NAMES as readonly KindName[]).filter((d) => d.scope === 'project');
  const all = [...project, ...CLUSTER_KINDS].map((d) => {
    const short = d.aliases.filter((a) => a.length < d.kind.length - 1);
    return short.length ? `${d.plural} (${short.join(', ')})` : d.plural;
  });
  return all.sort();
}
