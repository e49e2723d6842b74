// One-off pods (`berth run dc/NAME -- CMD…`, as `heroku run` or `oc debug`): a pod from the
// DeploymentConfig's running template (its latest revision's, else the DC's own) — image, env,
// Secret and ConfigMap references, volumes, resources — that runs the command once and is never
// restarted. It carries none of the template's labels, so no Service routes to it and no
// ReplicationController counts it; it is admitted against the project's limit ranges and counts
// against its quota as any pod (the store's write refuses it when it does not fit).
import { randomBytes } from 'node:crypto';
import { BerthError, NotFoundError, ValidationError } from '../errors.ts';
import type { PodSpec } from '../model/deploy-kinds.ts';
import type { DeploymentConfig, Pod } from '../model/objects.ts';
import type { ObjectStore } from '../store/ports.ts';
import { admitPodSpec } from '../quota/admit-pods.ts';
import { revisionsOf } from './rollout-revision.ts';
import { revisionOf } from './rollout-template.ts';

/** The label of a one-off pod: the DeploymentConfig it was made from. */
export const RUN_LABEL = 'berth.io/run-of';
/** The annotation naming who started it. */
export const RUN_BY_ANNOTATION = 'berth.io/run-by';

export interface OneOffRequest {
  command: string[];
  /** Another image instead of the template's (checked as any pod's image by the host that runs it). */
  image?: string;
}

/** A one-off pod's name: `<dc>-run-<5 characters>`, within the 63 a name may have. */
export function oneOffName(dc: string): string {
  const suffix = [...randomBytes(5)].map((b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27]).join('');
  return `${dc.slice(0, 63 - 10)}-run-${suffix}`;
}

/** The pod (not yet admitted): the template's one container running `req.command`, restartPolicy Never, no ports, no probes. */
export function oneOffPod(dc: DeploymentConfig, template: PodSpec, req: OneOffRequest, user: string, name = oneOffName(dc.metadata.name)): Pod {
  const { containers, host: _host, ...spec } = template;
  const { readinessProbe: _r, livenessProbe: _l, args: _a, ...base } = containers[0]!;
  const image = req.image ?? base.image;
  if (!image) throw new BerthError(409, 'NoImage', `deploymentconfig "${dc.metadata.name}" has no image yet (its first build or image has not come)`, { suggestion: 'wait for its first rollout, or give one with --image' });
  return {
    kind: 'Pod',
    metadata: { name, project: dc.metadata.project, labels: { [RUN_LABEL]: dc.metadata.name }, annotations: { [RUN_BY_ANNOTATION]: user } },
    spec: { ...spec, containers: [{ ...base, image, command: req.command, ports: [] }], restartPolicy: 'Never' },
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  } as unknown as Pod;
}

/** Creates the one-off pod of `dc` for `req`; the scheduler and a host take it from there. */
export async function startOneOff(store: ObjectStore, project: string, dcName: string, req: OneOffRequest, user: string): Promise<Pod> {
  const dc = await store.get<DeploymentConfig>({ kind: 'DeploymentConfig', project, name: dcName });
  if (!dc) throw new NotFoundError('DeploymentConfig', dcName);
  if (!req.command.length) throw ValidationError.field('command', 'give the command to run');
  // The revision that runs, where there is one (its image is the one the trigger resolved).
  const rcs = await revisionsOf(store, project, dcName);
  const latest = rcs.sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  const template = (latest?.spec.template.spec ?? dc.spec.template.spec) as PodSpec;
  const pod = oneOffPod(dc, template, req, user);
  const spec = await admitPodSpec(store, project, pod.spec as PodSpec, 'spec.template.spec');
  return store.create<Pod>({ ...pod, spec } as never);
}
