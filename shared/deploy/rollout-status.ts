// The status of a DeploymentConfig, computed from its RCs (pure): replica counts, and the
// Available, Progressing and ReplicaFailure conditions with Kubernetes' reasons.
import type { Condition, DeploymentConfigStatus } from '../model/deploy-kinds.ts';
import type { DeploymentConfig, ReplicationController } from '../model/objects.ts';
import { resolveSurge } from './rollout.ts';
import { revisionOf } from './rollout-template.ts';

export interface StatusInput {
  dc: DeploymentConfig;
  /** Oldest revision first. */
  rcs: ReplicationController[];
  /** The ImageStreamTag an ImageChange trigger still waits for, if any. */
  waitingFor?: string;
  now: number;
}

function condition(type: string, status: Condition['status'], reason: string, message: string): Condition {
  return { type, status, reason, message };
}

function progressing({ dc, rcs, waitingFor }: StatusInput): Condition | undefined {
  const latest = rcs.at(-1);
  if (waitingFor && !latest) return condition('Progressing', 'Unknown', 'WaitingForImage', `waiting for an image on ImageStreamTag ${waitingFor}`);
  if (dc.spec.paused) return condition('Progressing', 'Unknown', 'DeploymentConfigPaused', 'the deployment config is paused; triggers do not start rollouts');
  if (!latest) return undefined;
  const name = latest.metadata.name;
  switch (latest.status.phase) {
    case 'Complete':
      return condition('Progressing', 'True', 'NewReplicationControllerAvailable', `replication controller "${name}" successfully rolled out`);
    case 'Failed':
      return condition('Progressing', 'False', latest.status.reason ?? 'RolloutFailed', latest.status.message ?? `replication controller "${name}" failed`);
    case 'Pending':
    case 'Running':
      return condition('Progressing', 'True', 'ReplicationControllerUpdated', `replication controller "${name}" is progressing`);
    default:
      return condition('Progressing', 'True', 'NewReplicationControllerCreated', `created new replication controller "${name}"`);
  }
}

/** Keeps a condition's lastTransitionTime while its status stays the same. */
function stamp(next: Condition, before: Condition[] | undefined, now: number): Condition {
  const prev = before?.find((c) => c.type === next.type);
  const same = prev && prev.status === next.status;
  return { ...next, lastTransitionTime: same && prev.lastTransitionTime ? prev.lastTransitionTime : new Date(now).toISOString() };
}

export function deploymentConfigStatus(input: StatusInput): DeploymentConfigStatus {
  const { dc, rcs, now } = input;
  const desired = dc.spec.replicas;
  const sum = (f: (rc: ReplicationController) => number | undefined) => rcs.reduce((n, rc) => n + (f(rc) ?? 0), 0);
  const available = sum((rc) => rc.status.availableReplicas);
  const params = dc.spec.strategy.rollingParams;
  const maxUnavailable = dc.spec.strategy.type === 'Rolling' ? resolveSurge(params?.maxSurge ?? '25%', params?.maxUnavailable ?? '25%', desired).maxUnavailable : 0;
  const minimum = Math.max(0, desired - maxUnavailable);
  const availableCond = available >= minimum
    ? condition('Available', 'True', 'MinimumReplicasAvailable', 'the deployment config has minimum availability')
    : condition('Available', 'False', 'MinimumReplicasUnavailable', 'the deployment config does not have minimum availability');
  // A revision that cannot make its pods (quota, limit range) says why on the DC too, as Kubernetes' Deployment does.
  const failing = rcs.map((rc) => rc.status.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find(Boolean);
  const failure = failing ? condition('ReplicaFailure', 'True', failing.reason ?? 'FailedCreate', failing.message ?? '') : undefined;
  const conditions = [availableCond, progressing(input), failure].filter((c): c is Condition => !!c).map((c) => stamp(c, dc.status.conditions, now));
  return {
    ...dc.status,
    latestVersion: Math.max(dc.status.latestVersion ?? 0, ...rcs.map(revisionOf)),
    observedGeneration: dc.metadata.generation,
    replicas: sum((rc) => rc.status.replicas),
    updatedReplicas: rcs.at(-1)?.status.replicas ?? 0,
    readyReplicas: sum((rc) => rc.status.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, desired - available),
    conditions,
  };
}
