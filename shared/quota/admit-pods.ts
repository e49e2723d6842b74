// Where pods are admitted against a project's limit ranges and quota: the pods the
// ReplicationController controller and rollout hooks make, a DeploymentConfig's template when it
// is written, and a scale before it is written. Thin: reads the project's LimitRanges and counter
// and asks the pure parts.
import { ValidationError } from '../errors.ts';
import type { PodSpec } from '../model/deploy-kinds.ts';
import type { ObjectStore } from '../store/ports.ts';
import { collect, eachObject } from '../store/each.ts';
import { admit } from './admission.ts';
import { QuotaExceededError } from './errors.ts';
import { LIMIT_RANGE_KIND, type LimitRange } from './kinds.ts';
import { applyLimitRanges } from './limit-range.ts';
import { usageOf, type QuotaResource, type Usage } from './resources.ts';

export const limitRangesOf = (store: ObjectStore, project: string): Promise<LimitRange[]> => collect(eachObject<LimitRange>(store, LIMIT_RANGE_KIND, project));

/**
 * The pod spec with the project's limit-range defaults filled in; a ValidationError (422) naming
 * each field outside a limit range, on fields under `path`.
 */
export async function admitPodSpec(store: ObjectStore, project: string, spec: PodSpec, path: string): Promise<PodSpec> {
  const ranges = await limitRangesOf(store, project);
  if (!ranges.length) return spec;
  const { containers, problems } = applyLimitRanges(spec.containers, ranges, `${path}.containers`);
  if (problems.length) throw new ValidationError(`${problems[0]!.field}: ${problems[0]!.message}`, problems);
  return { ...spec, containers };
}

/**
 * Refuses (QuotaExceededError) `more` extra pods of this spec when they would not fit the
 * project's quota as it stands: the early answer a scale gets. The pods are admitted again,
 * exactly, when the controller creates them.
 */
export async function checkPodsFit(store: ObjectStore, project: string, spec: PodSpec, more: number): Promise<void> {
  if (more <= 0) return;
  const filled = await admitPodSpec(store, project, spec, 'spec.template.spec').catch(() => spec);
  const one = usageOf({ kind: 'Pod', metadata: { project } as never, spec: filled, status: { phase: 'Pending' } });
  const delta: Usage = {};
  for (const [r, n] of Object.entries(one) as [QuotaResource, number][]) delta[r] = n * more;
  const decision = admit(await store.usage(project), delta);
  if (!decision.admit) throw new QuotaExceededError(decision.refusal);
}
