// Service discovery through a name service outside the hosts (AWS Cloud Map on AWS,
// shared/aws/cloud-map.ts) and a proxy per Service (an ECS task on AWS,
// shared/aws/ecs-service-proxies.ts): each project has a namespace `<project>.svc`; each Service
// names in it: `<service>.endpoints-<k>`, answered with the addresses of the Service's ready
// endpoints, at most eight a name (endpoint-shards.ts), and `<service>`, answered with its
// proxy's address, which listens on the Service's own ports and forwards to the endpoints it
// resolves under the first names. Level-triggered: a
// Service's change (the endpoints reconciler writes its ready pods into its status) makes the
// endpoints' answers match, and makes or replaces its proxy when its ports changed; a deleted
// Service's proxy and names go; a deleted project's namespace goes with it (the project
// finalizer waits for it); the resync also sweeps names and namespaces whose Service or project
// is no longer in the store, and the room a deleted Service's proxy waited for, and runs again a
// proxy that stopped. A Service is registered only
// into its own project's namespace, with its own project's pods, and its proxy runs on its own
// project's network: nothing in a request chooses any of them.
import { podPortOf } from '../fleet/service-env.ts';
import type { Pod, Service } from '../model/objects.ts';
import { refOf, type ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachOfKind } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';

/** One answer of a Service's name: a ready endpoint (its pod's name, address and target port). */
export interface DiscoveryInstance {
  id: string;
  ip: string;
  port: number;
}

/** The instance id of a Service's proxy under the Service's own name. */
export const PROXY_INSTANCE_ID = 'proxy';

/** What a Service's names should answer: its ready endpoints, and (once it runs) its proxy. */
export interface ServiceAnswers {
  endpoints: DiscoveryInstance[];
  /**
   * The Service's own name's answers; undefined leaves them as they are (a proxy not running
   * yet). Given, it also says that no proxy of an earlier configuration is left (the current one
   * runs, or the Service has none), so names only those resolved may go.
   */
  service?: DiscoveryInstance[];
}

/** The port of a name service (Cloud Map on AWS). Every call is idempotent; `pending`: look again later. */
export interface ServiceDiscovery {
  /** Makes the project's namespace and the Service's names if missing, and their answers exactly these. */
  sync(service: { project: string; projectUid: string; name: string; uid: string; version: string }, want: ServiceAnswers): Promise<'done' | 'pending'>;
  /** Removes the Service's names (their answers first). */
  removeService(project: string, name: string): Promise<'done' | 'pending'>;
  /** Removes the project's namespace and every name left in it. */
  removeProject(project: string): Promise<'done' | 'pending'>;
  /** Every namespace Berth made, with the names in it. */
  list(): Promise<{ project: string; services: string[] }[]>;
}

/** A Service's proxy: its TCP ports, each with the port its pods listen on. */
export interface ServiceProxySpec {
  project: string;
  service: string;
  ports: { port: number; target: number }[];
}

/** The port of Services' proxies (ECS tasks on AWS). Every call is idempotent. */
export interface ServiceProxies {
  /** Runs the proxy if missing (replacing one of another spec); its address once it runs. */
  ensure(spec: ServiceProxySpec): Promise<{ address?: string }>;
  /** Stops the Service's proxy, and forgets the room it waited for. */
  remove(project: string, service: string): Promise<'done' | 'pending'>;
  /** The Services whose proxies wait for room on the hosts (the resync sweeps those whose Service has gone). */
  waiting?(): Promise<{ project: string; service: string }[]>;
}

/**
 * The proxy a Service needs (pure): its TCP ports (HAProxy forwards TCP; UDP ports are answered
 * only under the endpoints' name), each to the port its pods listen on (a named target port as
 * its first ready endpoint resolved it). Undefined for a Service with no TCP port.
 * @example serviceProxySpecOf(db) // { project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }] }
 */
export function serviceProxySpecOf(svc: Service): ServiceProxySpec | undefined {
  const ports = svc.spec.ports.flatMap((p, i) => ((p.protocol ?? 'TCP') === 'TCP' ? [{ port: p.port, target: podPortOf(svc, i) }] : []));
  return ports.length ? { project: svc.metadata.project, service: svc.metadata.name, ports } : undefined;
}

/**
 * The answers a Service's endpoints' name should give (pure): its ready endpoints that have an address of
 * their own (awsvpc pods), on the port the first Service port targets.
 * @example instancesOf(db) // [{ id: 'db-1-x7k2p', ip: '10.0.3.41', port: 5432 }]
 */
export function instancesOf(svc: Pick<Service, 'status'>): DiscoveryInstance[] {
  return (svc.status?.endpoints ?? []).flatMap((e) => {
    const port = e.ports[0]?.hostPort;
    return port && e.ip ? [{ id: e.pod, ip: e.ip, port }] : [];
  });
}

/** What to register (new or changed answers) and deregister (answers no longer wanted), by instance id (pure). */
export function planInstances(want: DiscoveryInstance[], have: DiscoveryInstance[]): { register: DiscoveryInstance[]; deregister: string[] } {
  const had = new Map(have.map((i) => [i.id, i]));
  const wanted = new Set(want.map((i) => i.id));
  return {
    register: want.filter((i) => had.get(i.id)?.ip !== i.ip || had.get(i.id)?.port !== i.port),
    deregister: have.filter((i) => !wanted.has(i.id)).map((i) => i.id),
  };
}

/** How soon to look again while the name service finishes an operation (a namespace takes about a minute). */
export const PENDING_RETRY_MS = 10_000;

export interface DiscoveryReconcilerOptions {
  /** Where a failure goes besides the runner's retry (the fleet loops' logs and metric). */
  onError?: (err: unknown, ref: ObjectRef) => void;
}

const projectRef = (name: string): ObjectRef => ({ kind: 'Project', project: '', name });

/**
 * Keeps the name service and the proxies as the store says: Services' proxies, names and
 * answers, projects' namespaces.
 * @example serviceDiscoveryReconciler(store, new CloudMapDiscovery({ client, vpcId }), new EcsServiceProxies({ … }))
 */
export function serviceDiscoveryReconciler(store: ObjectStore, discovery: ServiceDiscovery, proxies: ServiceProxies, opts: DiscoveryReconcilerOptions = {}): Reconciler {
  const after = (outcome: 'done' | 'pending'): Result => (outcome === 'pending' ? { requeueAfter: PENDING_RETRY_MS } : {});

  async function reconcileService(ref: ObjectRef): Promise<Result> {
    const svc = await store.get<Service>(ref);
    const project = await store.get(projectRef(ref.project));
    // A project being deleted: its namespace is the finalizer's to remove, with what is left in it.
    if (!svc || svc.metadata.deletionTimestamp || !project || project.metadata.deletionTimestamp) {
      // The proxy first: while it runs, the Service's name keeps it findable by the resync's sweep.
      const stopped = await proxies.remove(ref.project, ref.name);
      return after(stopped === 'pending' ? 'pending' : await discovery.removeService(ref.project, ref.name));
    }
    const spec = serviceProxySpecOf(svc);
    // A proxy that cannot be run now (no host has room) is retried; the names follow the endpoints meanwhile.
    let proxy: { address?: string } | undefined;
    let proxyFailed: { err: unknown } | undefined;
    try {
      if (spec) proxy = await proxies.ensure(spec);
    } catch (err) {
      proxyFailed = { err };
    }
    const outcome = await discovery.sync(
      { project: ref.project, projectUid: project.metadata.uid, name: ref.name, uid: svc.metadata.uid, version: svc.metadata.resourceVersion },
      {
        endpoints: instancesOf(svc),
        // A Service without a TCP port has no proxy and its own name no answers.
        ...(!spec ? { service: [] } : proxy?.address ? { service: [{ id: PROXY_INSTANCE_ID, ip: proxy.address, port: spec.ports[0]!.port }] } : {}),
      },
    );
    if (proxyFailed) throw proxyFailed.err;
    // A proxy still starting: look again soon to name it.
    return after(spec && !proxy?.address ? 'pending' : outcome);
  }

  return {
    name: 'service-discovery',
    // Pods change a Service's endpoints through the endpoints reconciler, which writes the Service.
    kinds: ['Service', 'Project'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      try {
        if (ref.kind === 'Service') return await reconcileService(ref);
        // A project gone from the store (its finalizer has run, or it vanished meanwhile): nothing of it may stay.
        if (ref.kind === 'Project' && !(await store.get(ref))) return after(await discovery.removeProject(ref.name));
        return {};
      } catch (err) {
        opts.onError?.(err, ref);
        throw err;
      }
    },
    async *resync() {
      const services = new Set<string>();
      const projects = new Set<string>();
      for await (const s of eachOfKind<Service>(store, 'Service')) {
        services.add(`${s.metadata.project}/${s.metadata.name}`);
        yield refOf(s);
      }
      for await (const p of eachOfKind(store, 'Project')) projects.add(p.metadata.name);
      // What the name service holds that the store no longer does.
      for (const ns of await discovery.list()) {
        if (!projects.has(ns.project)) {
          // Its Services first: each stops its proxy (the namespace's removal would not).
          for (const name of ns.services) {
            services.add(`${ns.project}/${name}`);
            yield { kind: 'Service', project: ns.project, name };
          }
          yield projectRef(ns.project);
          continue;
        }
        for (const name of ns.services) {
          if (services.has(`${ns.project}/${name}`)) continue;
          // Swept once: its wanted room (below) goes in the same reconcile.
          services.add(`${ns.project}/${name}`);
          yield { kind: 'Service', project: ns.project, name };
        }
      }
      // A proxy that never found room has no names yet: the room it waited for goes with its Service.
      for (const w of (await proxies.waiting?.()) ?? []) if (!services.has(`${w.project}/${w.service}`)) yield { kind: 'Service', project: w.project, name: w.service };
    },
  };
}

/** A pod's own search list for short names on AWS (glibc reads LOCALDOMAIN in place of resolv.conf's search line). */
export const searchDomainEnv = (pod: Pick<Pod, 'metadata'>): { name: string; value: string } => ({ name: 'LOCALDOMAIN', value: `${pod.metadata.project}.svc` });
