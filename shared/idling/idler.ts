// The idler: scales a DeploymentConfig to 0 when no request reached any of its Services
// through the routers for `idleAfterMs` (trial projects' DCs, and DCs annotated
// `idling.berth.io/enabled: "true"`), and wakes it when a router holds a request for it.
// Level-triggered: a DC is looked at when it changes, on resync, and again when it would next
// fall quiet; a wake item (signals.ts) wakes the DCs its Service names; a Service loses its
// idled mark once it has ready endpoints again and none of its DCs is idled.
import type { DeploymentConfig, Service } from '../model/objects.ts';
import type { BerthObject, ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { idleDeploymentConfig, markServices, servicesOf, unidleDeploymentConfig } from './actions.ts';
import { IDLED_AT, idlingApplies, isIdled, quietSince, selects, UNIDLE_TARGETS } from './annotations.ts';
import { activityKey, WAKE_KIND, type IdleSignalReader } from './signals.ts';

export interface IdlerOptions {
  store: ObjectStore;
  signals: IdleSignalReader;
  /** Quiet time before a DC is idled, ms (PAAS_IDLE_AFTER_S; 1800 s by default). */
  idleAfterMs: number;
  /** The clock (ms since the epoch); tests pass their own. */
  now?: () => number;
}

export const DEFAULT_IDLE_AFTER_S = 1800;

/** The quiet time from PAAS_IDLE_AFTER_S (seconds, a positive integer), in ms. */
export function idleAfterFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.PAAS_IDLE_AFTER_S;
  const s = raw === undefined || raw === '' ? DEFAULT_IDLE_AFTER_S : Number(raw);
  if (!Number.isInteger(s) || s < 1) throw new Error(`PAAS_IDLE_AFTER_S=${raw} is not a whole number of seconds (1 or more)`);
  return s * 1000;
}

/**
 * What to do with a DC (pure): idle it, look again in `after` ms, or nothing.
 * `lastRequest` is the latest request seen for any of its Services (ms), if any.
 */
export function idlePlan(dc: DeploymentConfig, applies: boolean, lastRequest: number | undefined, now: number, idleAfterMs: number): { idle: true } | { idle: false; after?: number } {
  if (!applies || isIdled(dc) || dc.metadata.deletionTimestamp || (dc.spec.replicas ?? 0) === 0) return { idle: false };
  const busy = Math.max(quietSince(dc), lastRequest ?? 0);
  const due = busy + idleAfterMs;
  return due <= now ? { idle: true } : { idle: false, after: due - now };
}

export function idler(opts: IdlerOptions): Reconciler {
  const { store, signals } = opts;
  const now = opts.now ?? Date.now;

  async function reconcileDc(ref: ObjectRef): Promise<Result> {
    const dc = await store.get<DeploymentConfig>(ref);
    if (!dc) return {};
    if (isIdled(dc)) {
      // Scaled up by hand while idled: it is awake.
      if ((dc.spec.replicas ?? 0) > 0) await unidleDeploymentConfig(store, ref, now(), 'scaled while idled', { onlyIfIdled: true });
      // Its Services go on holding requests (repairs a mark lost between the two writes).
      else await markServices(store, await servicesOf(store, dc), dc.metadata.name, dc.metadata.annotations![IDLED_AT]!);
      return {};
    }
    const project = await store.get<BerthObject>({ kind: 'Project', project: '', name: ref.project });
    const applies = idlingApplies(dc, project);
    if (!applies || (dc.spec.replicas ?? 0) === 0) return {};
    const services = await servicesOf(store, dc);
    const keys = services.map((s) => ({ project: ref.project, service: s.metadata.name }));
    const seen = keys.length ? await signals.lastActivity(keys) : new Map<string, number>();
    const last = Math.max(0, ...keys.map((k) => seen.get(activityKey(k)) ?? 0));
    const at = now();
    const plan = idlePlan(dc, applies, last || undefined, at, opts.idleAfterMs);
    if (plan.idle) {
      await idleDeploymentConfig(store, ref, at, `no request through the routers for ${Math.round(opts.idleAfterMs / 1000)} s`);
      return {};
    }
    return plan.after === undefined ? {} : { requeueAfter: plan.after };
  }

  /** A router holds a request for this Service: wake the DCs it names (or selects) that are idled. */
  async function reconcileWake(ref: ObjectRef): Promise<Result> {
    const key = { project: ref.project, service: ref.name };
    const asked = await signals.wakeRequested(key);
    if (asked === undefined) return {};
    const svc = await store.get<Service>({ kind: 'Service', project: ref.project, name: ref.name });
    if (svc) {
      const named = new Set((svc.metadata.annotations?.[UNIDLE_TARGETS] ?? '').split(',').filter(Boolean));
      for await (const dc of eachObject<DeploymentConfig>(store, 'DeploymentConfig', ref.project)) {
        if (!isIdled(dc) || !(named.has(dc.metadata.name) || selects(svc, dc))) continue;
        await unidleDeploymentConfig(store, { kind: 'DeploymentConfig', project: ref.project, name: dc.metadata.name }, now(), `a request reached service ${ref.name} through a route`, { onlyIfIdled: true, known: dc });
      }
    }
    await signals.clear(key, { wakeAt: asked });
    return {};
  }

  async function reconcileService(ref: ObjectRef): Promise<Result> {
    const svc = await store.get<Service>(ref);
    if (!svc || svc.metadata.deletionTimestamp) {
      await signals.clear({ project: ref.project, service: ref.name }, { all: true });
      return {};
    }
    if (!isIdled(svc) || !(svc.status?.endpoints?.length ?? 0)) return {};
    for await (const dc of eachObject<DeploymentConfig>(store, 'DeploymentConfig', ref.project)) if (isIdled(dc) && selects(svc, dc)) return {};
    await patchObject<Service>(store, ref, (cur) => {
      if (!isIdled(cur)) return undefined;
      const { [IDLED_AT]: _i, [UNIDLE_TARGETS]: _t, ...annotations } = cur.metadata.annotations ?? {};
      return { ...cur, metadata: { ...cur.metadata, annotations } };
    });
    return {};
  }

  return {
    name: 'idler',
    kinds: ['DeploymentConfig', 'Service', WAKE_KIND],
    async reconcile(ref) {
      if (ref.kind === 'DeploymentConfig') return reconcileDc(ref);
      if (ref.kind === WAKE_KIND) return reconcileWake(ref);
      if (ref.kind === 'Service') return reconcileService(ref);
      return {};
    },
    async *resync() {
      for await (const dc of eachOfKind<DeploymentConfig>(store, 'DeploymentConfig')) yield { kind: 'DeploymentConfig', project: dc.metadata.project, name: dc.metadata.name };
      for await (const s of eachOfKind<Service>(store, 'Service')) if (isIdled(s)) yield { kind: 'Service', project: s.metadata.project, name: s.metadata.name };
    },
  };
}
