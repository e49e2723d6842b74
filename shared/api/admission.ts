// Admission checks of tenant objects beyond their schema, run on create and replace: what a
// build may fetch and build from, which images a deployment may run, what its containers may ask
// for under the project's limit ranges. The rules live with their capability
// (shared/builds/admission.ts, shared/images/access.ts, shared/quota/admit-pods.ts); this only
// picks them per kind.
import { ValidationError, type FieldProblem } from '../errors.ts';
import { admitBuildSpec } from '../builds/admission.ts';
import { DENY_LOCAL } from '../builds/git-source.ts';
import type { BuildSpec, ImageRef } from '../model/build-kinds.ts';
import type { PodSpec } from '../model/deploy-kinds.ts';
import { imageProblem } from '../images/access.ts';
import { admitPodSpec } from '../quota/admit-pods.ts';
import { imageNamespaceProblems } from '../images/namespace.ts';
import type { ApiDeps } from './env.ts';

type Spec = Record<string, unknown>;

export async function admitSpec(deps: ApiDeps, kind: string, project: string, spec: unknown): Promise<void> {
  const policy = deps.buildPolicy ?? { git: DENY_LOCAL };
  const problems: FieldProblem[] = [];
  const image = (field: string, name: string | undefined) => {
    // Without the registry's layout there is nothing to tell one project's images from another's.
    const problem = name && policy.registry ? imageProblem(name, project, policy.registry) : undefined;
    if (problem) problems.push({ field, message: `the image ${problem}` });
  };
  const foreign = imageNamespaceProblems(kind, spec, project);
  if (foreign.length) throw new ValidationError(foreign.map((p) => `${p.field}: ${p.message}`).join('; '), foreign);
  if (kind === 'BuildConfig' || kind === 'Build') return admitBuildSpec(deps.store, project, spec as BuildSpec, policy);
  if (kind === 'DeploymentConfig') {
    const template = (spec as { template: { spec: PodSpec } }).template;
    template.spec.containers.forEach((c, i) => image(`spec.template.spec.containers[${i}].image`, c.image));
  }
  if (kind === 'ImageStream') {
    ((spec as Spec).tags as { from?: ImageRef }[]).forEach((t, i) => {
      if (t.from?.kind === 'DockerImage') image(`spec.tags[${i}].from.name`, t.from.name);
    });
  }
  if (problems.length) throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  // A DeploymentConfig's template is held to the project's limit ranges when it is written (422 naming the limit).
  if (kind === 'DeploymentConfig') await admitPodSpec(deps.store, project, (spec as { template: { spec: PodSpec } }).template.spec, 'spec.template.spec');
}
