// The timeline of a rollout's pod, read from the objects and the engine: when its RC and pod were
// made, bound, started and ready (deploy, idle).
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { RC_LABEL } from '../shared/model/deploy-kinds.ts';
import type { Platform } from '../test/e2e/sample-app.ts';

export type Step = { step: string; at_ms: number; source: string };

export const ms = (x: number) => Math.round(x);

export const stepLine = (t: Step) => `  ${String(t.at_ms).padStart(6)}  ${t.step.padEnd(30)} ${t.source}`;

/** The objects' own times for a rollout's pod, ms after `t0` (wall clock): RC made, pod made, bound, container created and started, ready. */
export async function podSteps(p: Platform, docker: Docker, project: string, rcName: string, t0: number): Promise<Step[]> {
  const base = `/api/v1/projects/${project}`;
  const rc = (await p.api('GET', `${base}/replicationcontrollers/${rcName}`)).body;
  const pods = (await p.api('GET', `${base}/pods?labelSelector=${RC_LABEL}%3D${rcName}`)).body.items as any[];
  const pod = pods.sort((a, b) => Date.parse(a.metadata.creationTimestamp) - Date.parse(b.metadata.creationTimestamp))[0];
  const events = (await p.api('GET', `${base}/events`)).body.items as any[];
  const scheduled = events.find((e) => e.spec.involvedObject.kind === 'Pod' && e.spec.involvedObject.name === pod.metadata.name && e.spec.reason === 'Scheduled');
  const container = pod.status.containerID ? await docker.getContainer(pod.status.containerID).inspect() : undefined;
  const ready = pod.status.conditions?.find((c: any) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;
  const at = since(t0);
  return [
    { step: 'RC made', at_ms: at(rc.metadata.creationTimestamp), source: `${rcName} creationTimestamp` },
    { step: 'pod made', at_ms: at(pod.metadata.creationTimestamp), source: `${pod.metadata.name} creationTimestamp` },
    { step: 'bound', at_ms: at(scheduled?.spec.firstTimestamp), source: 'Scheduled event' },
    { step: 'container created', at_ms: at(container?.Created), source: 'Docker Created' },
    { step: 'container started', at_ms: at(container?.State.StartedAt), source: 'Docker State.StartedAt' },
    { step: 'ready', at_ms: at(ready), source: 'Ready condition lastTransitionTime' },
  ];
}

export const since = (t0: number) => (iso: string | number | undefined) => (iso === undefined ? NaN : ms((typeof iso === 'number' ? iso : Date.parse(iso)) - t0));


/**
 * Watches a Service's endpoints (no timestamp marks them) every 15 ms until `stop()`: `at()` is
 * the wall clock when the first endpoint of a pod not in `old` was seen (undefined: none yet).
 */
export function watchEndpoints(p: Platform, project: string, service: string, old: Set<string>): { stop: () => Promise<void>; at: () => number | undefined } {
  let seenAt: number | undefined;
  let stopped = false;
  const watching = (async () => {
    while (!stopped) {
      const svc = await p.api('GET', `/api/v1/projects/${project}/services/${service}`);
      const eps: { pod: string }[] = svc.body?.status?.endpoints ?? [];
      if (seenAt === undefined && eps.some((e) => !old.has(e.pod))) seenAt = Date.now();
      await sleep(15);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await watching;
    },
    at: () => seenAt,
  };
}

export const ENDPOINT_SOURCE = 'Service status.endpoints (watched every 15 ms)';
