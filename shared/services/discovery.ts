// Service discovery through a name service outside the hosts (AWS Cloud Map on AWS,
// shared/aws/cloud-map.ts): each project has a namespace `<project>.svc`, each Service a name in
// it, answered with the addresses of the Service's ready endpoints. Level-triggered: a Service's
// change (the endpoints reconciler writes its ready pods into its status) makes its name's
// instances match; a deleted Service's name goes; a deleted project's namespace goes with it
// (the project finalizer waits for it); the resync also sweeps names and namespaces whose
// Service or project is no longer in the store. A Service is registered only into its own
// project's namespace, with its own project's pods: nothing in a request chooses either.
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

/** The port of a name service (Cloud Map on AWS). Every call is idempotent; `pending`: look again later. */
export interface ServiceDiscovery {
  /** Makes the project's namespace and the Service's name if missing, and its answers exactly `want`. */
  sync(service: { project: string; projectUid: string; name: string; uid: string; version: string }, want: DiscoveryInstance[]): Promise<'done' | 'pending'>;
  /** Removes the Service's name (its answers first). */
  removeService(project: string, name: string): Promise<'done' | 'pending'>;
  /** Removes the project's namespace and every name left in it. */
  removeProject(project: string): Promise<'done' | 'pending'>;
  /** Every namespace Berth made, with the names in it. */
  list(): Promise<{ project: string; services: string[] }[]>;
}

/**
 * The answers a Service's name should give (pure): its ready endpoints that have an address of
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
 * Keeps the name service as the store says: Services' names and answers, projects' namespaces.
 * @example serviceDiscoveryReconciler(store, new CloudMapDiscovery({ client, vpcId }))
 */
export function serviceDiscoveryReconciler(store: ObjectStore, discovery: ServiceDiscovery, opts: DiscoveryReconcilerOptions = {}): Reconciler {
  const after = (outcome: 'done' | 'pending'): Result => (outcome === 'pending' ? { requeueAfter: PENDING_RETRY_MS } : {});

  async function reconcileService(ref: ObjectRef): Promise<Result> {
    const svc = await store.get<Service>(ref);
    const project = await store.get(projectRef(ref.project));
    // A project being deleted: its namespace is the finalizer's to remove, with what is left in it.
    if (!svc || svc.metadata.deletionTimestamp || !project || project.metadata.deletionTimestamp) return after(await discovery.removeService(ref.project, ref.name));
    return after(await discovery.sync(
      { project: ref.project, projectUid: project.metadata.uid, name: ref.name, uid: svc.metadata.uid, version: svc.metadata.resourceVersion },
      instancesOf(svc),
    ));
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
          yield projectRef(ns.project);
          continue;
        }
        for (const name of ns.services) if (!services.has(`${ns.project}/${name}`)) yield { kind: 'Service', project: ns.project, name };
      }
    },
  };
}

/** A pod's own search list for short names on AWS (glibc reads LOCALDOMAIN in place of resolv.conf's search line). */
export const searchDomainEnv = (pod: Pick<Pod, 'metadata'>): { name: string; value: string } => ({ name: 'LOCALDOMAIN', value: `${pod.metadata.project}.svc` });
