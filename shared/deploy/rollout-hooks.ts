// Lifecycle hooks of a rollout (pre, mid, post): a one-off pod of the new revision's template
// running the hook's command, whose outcome (phase Succeeded/Failed, written by the host side)
// decides by the hook's failurePolicy: Abort fails the rollout, Retry runs it again, Ignore
// goes on. The outcome is remembered as an annotation on the revision's RC.
import { AlreadyExistsError, NotFoundError, ignoring } from '../errors.ts';
import { DC_LABEL, type LifecycleHook, type PodSpec } from '../model/deploy-kinds.ts';
import { admitPodSpec } from '../quota/admit-pods.ts';
import type { NewObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Pod, ReplicationController } from '../model/objects.ts';
import { terminatePod } from './pods.ts';
import { HOOK_LABEL } from './rollout-template.ts';

export type HookStage = 'pre' | 'mid' | 'post';
export type HookState = 'done' | 'running' | 'failed';

/** Annotation on an RC: how its hook of a stage ended (Succeeded, Ignored or Failed). */
export const hookAnnotation = (stage: HookStage): string => `berth.io/hook-${stage}`;
export const hookPodName = (rc: string, stage: HookStage): string => `${rc}-hook-${stage}`;

/** The hook's pod: the chosen container of the revision's template with the hook's command and env, never restarted. */
export function hookPod(rc: ReplicationController, stage: HookStage, hook: LifecycleHook): NewObject {
  const dc = rc.metadata.labels[DC_LABEL]!;
  const { containers, ...spec } = rc.spec.template.spec;
  const base = containers.find((c) => c.name === hook.execNewPod.containerName) ?? containers[0]!;
  const overridden = new Set(hook.execNewPod.env.map((e) => e.name));
  const container = {
    name: base.name,
    image: base.image,
    command: hook.execNewPod.command,
    env: [...base.env.filter((e) => !overridden.has(e.name)), ...hook.execNewPod.env],
    ports: [],
    resources: base.resources,
  };
  return {
    kind: 'Pod',
    metadata: { name: hookPodName(rc.metadata.name, stage), project: rc.metadata.project, labels: { [DC_LABEL]: dc, [HOOK_LABEL]: stage }, annotations: { 'berth.io/revision-of': rc.metadata.name } },
    spec: { ...spec, host: undefined, containers: [container], restartPolicy: 'Never' },
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  };
}

async function remember(store: ObjectStore, rc: ReplicationController, stage: HookStage, outcome: string): Promise<void> {
  await store.update<ReplicationController>({ ...rc, metadata: { ...rc.metadata, annotations: { ...rc.metadata.annotations, [hookAnnotation(stage)]: outcome } } });
}

/**
 * Moves one hook along: creates its pod, waits for it, applies the failure policy. `done` once
 * it succeeded or was ignored, `failed` when it failed under Abort, `running` meanwhile.
 */
export async function runHook(store: ObjectStore, rc: ReplicationController, stage: HookStage, hook: LifecycleHook | undefined): Promise<HookState> {
  if (!hook) return 'done';
  const seen = rc.metadata.annotations[hookAnnotation(stage)];
  if (seen === 'Succeeded' || seen === 'Ignored') return 'done';
  if (seen === 'Failed') return 'failed';
  const ref = { kind: 'Pod', project: rc.metadata.project, name: hookPodName(rc.metadata.name, stage) };
  const pod = await store.get<Pod>(ref);
  if (!pod) {
    // Hook pods meet the project's limit ranges and count against its quota like any pod.
    const pod = hookPod(rc, stage, hook);
    const spec = await admitPodSpec(store, rc.metadata.project, pod.spec as PodSpec, 'spec.template.spec');
    await store.create({ ...pod, spec }).catch(ignoring(AlreadyExistsError));
    return 'running';
  }
  if (pod.metadata.deletionTimestamp) return 'running';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') {
    await remember(store, rc, stage, 'Succeeded');
    return 'done';
  }
  if (phase !== 'Failed' && phase !== 'Unknown') return 'running';
  if (hook.failurePolicy === 'Ignore') {
    await remember(store, rc, stage, 'Ignored');
    return 'done';
  }
  if (hook.failurePolicy === 'Retry') {
    // The same pod name again once the failed one is gone.
    await terminatePod(store, pod).catch(ignoring(NotFoundError));
    return 'running';
  }
  await remember(store, rc, stage, 'Failed');
  return 'failed';
}
