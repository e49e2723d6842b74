// Service endpoints: a Service's status lists the ready pods its selector matches, each with
// the host address and the host port its target port is published on. A pod that is not ready,
// is going away, or does not publish the port is left out, so routers and clients only ever
// get addresses that answer.
import { NotFoundError, ignoring } from '../errors.ts';
import type { Endpoint, ServicePort } from '../model/deploy-kinds.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { collect, eachObject, eachOfKind } from '../store/each.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { Pod, Service } from '../model/objects.ts';
import { isReady } from '../model/pods.ts';
import { coalescing, oneAtATime } from '../reconcile/one-at-a-time.ts';

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/**
 * The container port a Service port reaches in `pod` (pure): its number, or (Kubernetes' named
 * target port) the TCP port of that name among the pod's containers, so that each revision may
 * put it elsewhere; undefined when the pod has no port of that name.
 * @example targetPortOf({ port: 80, targetPort: 'web' }, pod) // 8080, where the container has { name: 'web', containerPort: 8080 }
 */
export function targetPortOf(sp: Pick<ServicePort, 'port' | 'targetPort'>, pod: Pick<Pod, 'spec'>): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  for (const c of pod.spec.containers) {
    const named = c.ports.find((x) => x.name === target && (x.protocol ?? 'TCP') === 'TCP');
    if (named) return named.containerPort;
  }
  return undefined;
}

/**
 * The endpoints of `svc` among `pods` (pure): ready pods matching the selector that publish
 * every port of the service, sorted by pod name.
 * @example endpointsOf(svc, pods) // [{ pod: 'web-1-x7k2p', host: 'local', ip: '127.0.0.1', ports: [{ port: 8080, hostPort: 32768, targetPort: 8080 }] }]
 */
export function endpointsOf(svc: Pick<Service, 'spec'>, pods: Pod[]): Endpoint[] {
  const out: Endpoint[] = [];
  for (const p of pods) {
    if (!isReady(p) || !matches(svc.spec.selector, p.metadata.labels) || !p.spec.host || !p.status.hostIP) continue;
    const ports = svc.spec.ports.map((sp) => {
      const target = targetPortOf(sp, p);
      const published = target === undefined ? undefined : p.status.ports?.find((x) => x.containerPort === target);
      return published ? { port: sp.port, hostPort: published.hostPort, targetPort: target! } : undefined;
    });
    if (ports.some((x) => !x)) continue;
    // A pod with an address of its own (ECS awsvpc) is reached there; others at their host's.
    out.push({ pod: p.metadata.name, host: p.spec.host, ip: p.status.podIP ?? p.status.hostIP, ports: ports as Endpoint['ports'] });
  }
  return out.sort((a, b) => a.pod.localeCompare(b.pod));
}

/**
 * Keeps Services' endpoints. Its reconciles of one project run one at a time in a process (a
 * batch's pod records and a caller told of a pod at once, see agents/up/platform.ts), so an
 * older reading of the pods never overwrites a newer one; pod changes that a pass waiting for
 * its turn (or one begun after them) would see share that pass.
 */
export function endpointsReconciler(deps: { store: ObjectStore }): Reconciler {
  const { store } = deps;
  const serial = oneAtATime();
  // A pod's record looks at every Service of its project: the pod records of one batch share one such pass.
  const podPass = coalescing();

  /** Writes the Service's endpoints when they changed; `listed` is the Service as just read (its write is conditional on it). */
  async function reconcileService(ref: ObjectRef, pods?: Pod[], listed?: Service): Promise<void> {
    const svc = listed ?? (await store.get<Service>(ref));
    if (!svc) return;
    const candidates = pods ?? (await collect(eachObject<Pod>(store, 'Pod', ref.project, svc.spec.selector)));
    const endpoints = endpointsOf(svc, candidates);
    if (JSON.stringify(svc.status?.endpoints ?? []) === JSON.stringify(endpoints)) return;
    // Written over the Service just read (no read again); one changed since is a conflict, then read.
    await patchStatus<Service>(store, ref, (cur) => ({ ...cur.status, endpoints: endpointsOf(cur, candidates) }), svc).catch(ignoring(NotFoundError));
  }

  return {
    name: 'endpoints',
    kinds: ['Service', 'Pod'],
    reconcile: (ref: ObjectRef): Promise<Result> => (ref.kind === 'Pod' ? podPass(ref.project, () => serial(ref.project, () => podsChanged(ref.project))) : serial(ref.project, () => reconcileRef(ref))),
    async *resync() {
      for await (const s of eachOfKind<Service>(store, 'Service')) yield refOf(s);
    },
  };

  async function reconcileRef(ref: ObjectRef): Promise<Result> {
    if (ref.kind === 'Service') await reconcileService(ref);
    return {};
  }

  /** Any Service of the project may list (or have listed) a changed pod: each is looked at. */
  async function podsChanged(project: string): Promise<Result> {
    const services = await collect(eachObject<Service>(store, 'Service', project));
    if (services.length === 0) return {};
    const pods = await collect(eachObject<Pod>(store, 'Pod', project));
    // Each Service as listed: its write is conditional on that reading, so it is not read again.
    for (const s of services) await reconcileService(refOf(s), pods, s);
    return {};
  }
}
