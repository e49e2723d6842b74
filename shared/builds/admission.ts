// Admission of what a tenant asks a build to do (BuildConfig, Build, and every instantiation):
// the git source and revision (git-source.ts), the images it builds from (shared/images), and the
// Dockerfile strategy, which runs the tenant's Dockerfile on the build engine and is therefore
// off unless a cluster admin has allowed it for the project (the Project annotation
// berth.io/allow-docker-builds: "true", which only cluster admins may set). The builder agent
// checks the same again before it runs anything.
import { ForbiddenError, ValidationError, type FieldProblem } from '../errors.ts';
import type { BuildSpec } from '../model/build-kinds.ts';
import type { BerthObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { imageProblem, type PlatformRegistry } from '../images/access.ts';
import { SHARED_PROJECT } from '../model/reserved-names.ts';
import { gitSourceProblems, type GitPolicy } from './git-source.ts';

/** Set to "true" on a Project by a cluster admin: the project may run Dockerfile builds. */
export const ALLOW_DOCKER_BUILDS = 'berth.io/allow-docker-builds';

export interface BuildPolicy {
  git: GitPolicy;
  /** The platform registry's layout, to tell a project's own images from another's. */
  registry?: PlatformRegistry;
}

type BuildShape = Pick<BuildSpec, 'source' | 'strategy'> & { revision?: BuildSpec['revision'] };

/** Every field problem of a build's source, revision and images (pure). */
export function buildSpecProblems(spec: BuildShape, project: string, policy: BuildPolicy, at = 'spec'): FieldProblem[] {
  const out = gitSourceProblems(spec.source, spec.revision, policy.git, at);
  const from = [
    [`${at}.strategy.sourceStrategy.from.name`, spec.strategy.sourceStrategy?.from],
    [`${at}.strategy.dockerStrategy.from.name`, spec.strategy.dockerStrategy?.from],
  ] as const;
  for (const [field, ref] of from) {
    const problem = ref?.kind === 'DockerImage' && policy.registry ? imageProblem(ref.name, project, policy.registry) : undefined;
    if (problem) out.push({ field, message: `the image ${problem}` });
    if (ref?.namespace !== undefined && ref.namespace !== project && ref.namespace !== SHARED_PROJECT) {
      out.push({ field: field.replace(/\.name$/, '.namespace'), message: `an ImageStreamTag may be in the project itself or in the shared project "${SHARED_PROJECT}", not in "${ref.namespace}"` });
    }
  }
  return out;
}

/** Whether the project may run Dockerfile builds. */
export async function dockerBuildsAllowed(store: ObjectStore, project: string): Promise<boolean> {
  const p = await store.get<BerthObject>({ kind: 'Project', project: '', name: project });
  return p?.metadata.annotations?.[ALLOW_DOCKER_BUILDS] === 'true';
}

export const DOCKER_BUILDS_OFF = `Dockerfile builds are off for this project: a cluster admin can allow them with the Project annotation ${ALLOW_DOCKER_BUILDS}="true"`;

/**
 * Throws a 422 naming every field at fault, or a 403 for a Dockerfile build the project may not run.
 * @example await admitBuildSpec(store, 'shop', bc.spec, policy);
 */
export async function admitBuildSpec(store: ObjectStore, project: string, spec: BuildShape, policy: BuildPolicy, at = 'spec'): Promise<void> {
  const problems = buildSpecProblems(spec, project, policy, at);
  if (problems.length) throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  if (spec.strategy.type === 'Docker' && !(await dockerBuildsAllowed(store, project))) {
    throw new ForbiddenError(`${at}.strategy.type: ${DOCKER_BUILDS_OFF}`, 'use the Source (S2I) strategy, or ask a cluster admin');
  }
}
