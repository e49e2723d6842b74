// Which project an ImageStreamTag reference may name besides its own: only the shared `openshift`
// project, which every user may read (its builder, database and cache images). Following a tag
// of another tenant's project would hand its images to whoever wrote the reference. Pure.
import type { FieldProblem } from '../errors.ts';
import type { ImageRef } from '../model/build-kinds.ts';
import { SHARED_PROJECT } from '../model/reserved-names.ts';

export { SHARED_PROJECT };

type Spec = Record<string, any>;

/** The ImageStreamTag references of a spec of `kind`, with the field each is at. */
function referencesOf(kind: string, spec: Spec): [string, ImageRef | undefined][] {
  if (kind === 'DeploymentConfig') return (spec.triggers ?? []).map((t: Spec, i: number) => [`spec.triggers[${i}].imageChangeParams.from.namespace`, t.imageChangeParams?.from]);
  if (kind === 'ImageStream') return (spec.tags ?? []).map((t: Spec, i: number) => [`spec.tags[${i}].from.namespace`, t.from]);
  if (kind === 'BuildConfig' || kind === 'Build') {
    return [
      ['spec.strategy.sourceStrategy.from.namespace', spec.strategy?.sourceStrategy?.from],
      ['spec.strategy.dockerStrategy.from.namespace', spec.strategy?.dockerStrategy?.from],
      ...(spec.triggers ?? []).map((t: Spec, i: number): [string, ImageRef | undefined] => [`spec.triggers[${i}].imageChange.from.namespace`, t.imageChange?.from]),
    ];
  }
  return [];
}

/** A problem per reference to a project other than `project` and the shared one. */
export function imageNamespaceProblems(kind: string, spec: unknown, project: string): FieldProblem[] {
  return referencesOf(kind, spec as Spec).flatMap(([field, ref]) =>
    ref?.namespace && ref.namespace !== project && ref.namespace !== SHARED_PROJECT
      ? [{ field, message: `an image stream of project "${ref.namespace}" cannot be used here: name one of this project or of "${SHARED_PROJECT}"` }]
      : [],
  );
}
