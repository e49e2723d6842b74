// Services' cluster IPs: allocated once when a Service is created, kept for its life, freed when
// it goes. Each address is claimed by a `ServiceAddress` object of the project, named by the
// address and created in the same all-or-nothing write as the Service, so two Services can never
// hold one address; a Service's claim is deleted once the Service is gone (the reconciler below),
// and the project's claims go with the project (its finaliser deletes everything in it).
import { randomInt } from 'node:crypto';
import { AlreadyExistsError, BerthError, ConflictError, NotFoundError, ValidationError, ignoring } from '../errors.ts';
import type { Service } from '../model/objects.ts';
import type { BerthObject, NewObject, ObjectRef } from '../model/types.ts';
import { uidOfProject } from '../project/uid-blocks.ts';
import { UID_BASE, UID_BLOCK } from '../fleet/pod-container.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { collect, eachObject, eachOfKind } from '../store/each.ts';
import type { ObjectStore } from '../store/ports.ts';
import { candidateIPs, checkRequestedIP, projectAddressing, type ProjectAddressing } from './addressing.ts';

export const ADDRESS_KIND = 'ServiceAddress';
/** The platform's one setting of its Service network: the salt of every project's /25 (addressing.ts). */
export const NETWORK_SETTING = { kind: 'ServiceNetwork', project: '', name: 'default' } as const;

const claimName = (ip: string) => `ip-${ip.replace(/\./g, '-')}`;

/**
 * The platform's salt, made at random on first use and stored, so that every API, reconciler and
 * host agent of the platform computes the same addresses. Safe to race (the first write wins).
 */
export async function networkSalt(store: ObjectStore): Promise<number> {
  const stored = await store.get<BerthObject<{ salt: number }>>(NETWORK_SETTING);
  if (stored) return stored.spec.salt;
  const made = await store
    .create<BerthObject<{ salt: number }>>({ kind: NETWORK_SETTING.kind, metadata: { name: NETWORK_SETTING.name, project: '' }, spec: { salt: randomInt(0, 1 << 16) } })
    .catch(async (err: unknown) => {
      if (!(err instanceof AlreadyExistsError)) throw err;
      return (await store.get<BerthObject<{ salt: number }>>(NETWORK_SETTING))!;
    });
  return made.spec.salt;
}

/**
 * The addresses of each project (its /25, its pods' range, its Services' range), read from its
 * Project and the platform's salt once and then remembered (neither ever changes).
 * @example const addressing = projectAddressings(store); (await addressing('shop')).subnet // '10.12.34.0/25'
 */
export function projectAddressings(store: ObjectStore): (project: string) => Promise<ProjectAddressing> {
  const known = new Map<string, ProjectAddressing>();
  let salt: Promise<number> | undefined;
  return async (project) => {
    let a = known.get(project);
    if (!a) {
      const p = await store.get({ kind: 'Project', project: '', name: project });
      if (!p) throw new NotFoundError('Project', project);
      salt ??= networkSalt(store).catch((err: unknown) => {
        salt = undefined;
        throw err;
      });
      a = projectAddressing((uidOfProject(p) - UID_BASE) / UID_BLOCK, await salt);
      known.set(project, a);
    }
    return a;
  };
}

const claimOf = (project: string, ip: string, service: string): NewObject => ({ kind: ADDRESS_KIND, metadata: { name: claimName(ip), project }, spec: { service } });

/**
 * Creates the Service with a cluster IP claimed in the same write: the one it asks for (which
 * must be in its project's range and free: 422 otherwise), or the first free one.
 */
export async function createServiceWithClusterIP(store: ObjectStore, addressing: (project: string) => Promise<ProjectAddressing>, service: NewObject): Promise<BerthObject> {
  const project = service.metadata.project;
  const spec = service.spec as Service['spec'];
  const a = await addressing(project);
  const requested = spec.clusterIP || undefined;
  if (requested) checkRequestedIP(a, requested);
  const taken = new Set((await collect(eachObject(store, ADDRESS_KIND, project))).map((c) => c.metadata.name));
  const candidates = requested ? [requested] : candidateIPs(a, service.metadata.name).filter((ip) => !taken.has(claimName(ip)));
  for (const ip of candidates) {
    try {
      const [made] = await store.createMany([{ ...service, spec: { ...spec, clusterIP: ip } }, claimOf(project, ip, service.metadata.name)]);
      return made!;
    } catch (err) {
      const raced = (err instanceof AlreadyExistsError && err.message.startsWith(`${ADDRESS_KIND} `)) || (err instanceof ConflictError && !/being deleted/.test(err.message));
      if (!raced) throw err;
      if (requested) throw ValidationError.field('spec.clusterIP', `${ip} is already allocated to another Service`);
    }
  }
  throw new BerthError(409, 'NoServiceAddress', `project "${project}" has no free Service address (${a.firstServiceIP} to ${a.lastServiceIP})`, { suggestion: 'delete a Service you no longer need' });
}

/**
 * On replace, the cluster IP stays what it is: left out (or empty), it is kept; another is 422.
 * Returns the spec to store.
 */
export function keepClusterIP(stored: Service['spec'], given: Service['spec']): Service['spec'] {
  if (given.clusterIP && stored.clusterIP && given.clusterIP !== stored.clusterIP) {
    throw ValidationError.field('spec.clusterIP', `is immutable (it is ${stored.clusterIP}); delete and recreate the Service for another`);
  }
  return stored.clusterIP ? { ...given, clusterIP: stored.clusterIP } : given;
}

/** The one-line reason a cluster IP is refused where Services are reached by name. */
export const BY_NAME_ONLY = 'is not used on this platform: Services are reached by name (<service>.<project>.svc), and no address is allocated; leave it out';

/**
 * How the API gives a Service its address. With cluster IPs (the all-in-one platform), one of
 * the project's range, claimed in the Service's own write and kept for its life. By name only
 * (AWS: Cloud Map answers the name with the Service's proxy, services/discovery.ts), none: a
 * Service asking for one is a 422 naming spec.clusterIP, before anything is written.
 */
export interface ServiceAddresses {
  /** Refuses what the platform cannot honour; run before any write (dry runs too). */
  admit(spec: Service['spec']): void;
  create(service: NewObject): Promise<BerthObject>;
  /** The spec to store on replace. */
  replace(stored: Service['spec'], given: Service['spec']): Service['spec'];
}

export function serviceAddresses(store: ObjectStore, opts: { byName?: boolean } = {}): ServiceAddresses {
  if (opts.byName) {
    const admit = (spec: Service['spec']) => {
      if (spec.clusterIP) throw ValidationError.field('spec.clusterIP', BY_NAME_ONLY);
    };
    return {
      admit,
      create: (service) => store.create(service),
      replace(_stored, given) {
        admit(given);
        return given;
      },
    };
  }
  const addressing = projectAddressings(store);
  return { admit: () => {}, create: (service) => createServiceWithClusterIP(store, addressing, service), replace: keepClusterIP };
}

/** Frees the addresses of Services that are gone: a claim whose Service no longer exists (or holds another address) is deleted. */
export function serviceAddressReconciler(deps: { store: ObjectStore }): Reconciler {
  const { store } = deps;
  return {
    name: 'service-addresses',
    kinds: ['Service'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      if (ref.kind !== 'Service') return {};
      const svc = await store.get<Service>(ref);
      if (svc && !svc.metadata.deletionTimestamp) return {};
      for (const claim of await collect(eachObject<BerthObject<{ service: string }>>(store, ADDRESS_KIND, ref.project))) {
        if (claim.spec.service !== ref.name) continue;
        await store.delete({ kind: ADDRESS_KIND, project: ref.project, name: claim.metadata.name }, { resourceVersion: claim.metadata.resourceVersion }).catch(ignoring(NotFoundError, ConflictError));
      }
      return {};
    },
    async *resync() {
      // Every claim's Service: those that are gone get their claims freed.
      for await (const c of eachOfKind<BerthObject<{ service: string }>>(store, ADDRESS_KIND)) yield { kind: 'Service', project: c.metadata.project, name: c.spec.service };
    },
  };
}
