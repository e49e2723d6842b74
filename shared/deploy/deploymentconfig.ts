// The DeploymentConfig controller: triggers (ConfigChange by template hash, ImageChange by the
// watched ImageStreamTag's newest image) start revisions; the latest revision is rolled out by
// its strategy; a finished DC keeps its running revision at spec.replicas, prunes history beyond
// revisionHistoryLimit and reports status. Deleting a DC removes its RCs and pods.
import { NotFoundError, ignoring } from '../errors.ts';
import type { ImageStreamStatus } from '../model/build-kinds.ts';
import { DC_LABEL, deploymentConfigSpec, type DeploymentTrigger } from '../model/deploy-kinds.ts';
import { refOf, type BerthObject, type ObjectRef } from '../model/types.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { eachObject, eachOfKind } from '../store/each.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { DeploymentConfig, Pod, ReplicationController } from '../model/objects.ts';
import { terminatePod } from './pods.ts';
import { recordEvent } from '../events/record.ts';
import { hookPodName } from './rollout-hooks.ts';
import { revisionsOf, startRevision, toldOf, type RevisionStart } from './rollout-revision.ts';
import { deploymentConfigStatus } from './rollout-status.ts';
import { advanceRollout, inFlight, lastComplete, scaleRc } from './rollout-strategy.ts';
import { TEMPLATE_HASH_ANNOTATION, dcNameOf, templateHash } from './rollout-template.ts';
import { CONFIG_HASH_ANNOTATION } from '../model/config-kinds.ts';
import { configRefsOf, withConfigHash } from './config-hash.ts';
import { SHARED_PROJECT } from '../images/namespace.ts';
import { coalescing } from '../reconcile/one-at-a-time.ts';

export interface DeploymentConfigReconcilerDeps {
  store: ObjectStore;
  now?: () => number;
  /**
   * Reconciles an RC this pass made or scaled at once (the RC controller), instead of leaving it
   * to the RC's stream record: a new revision's first pods are made (and placed) in the same
   * invocation as the revision. Best effort: the RC's own record reconciles it again.
   */
  replicate?: (rc: ObjectRef) => Promise<unknown>;
}

type ImageChange = Extract<DeploymentTrigger, { type: 'ImageChange' }>;

/** The `stream:tag` an ImageChange trigger follows (`:latest` when the name has no tag). */
export const followedTag = (t: ImageChange): string => (t.imageChangeParams.from.name.includes(':') ? t.imageChangeParams.from.name : `${t.imageChangeParams.from.name}:latest`);
const imageTriggers = (dc: DeploymentConfig): ImageChange[] => (dc.spec.triggers ?? []).filter((t): t is ImageChange => t.type === 'ImageChange');

/** `store`, and whether anything was written through it since. */
function noticingWrites(store: ObjectStore): { store: ObjectStore; wrote: () => boolean } {
  let writes = 0;
  const counted = <A extends unknown[], R>(write: (...args: A) => Promise<R>) => (...args: A) => {
    writes++;
    return write(...args);
  };
  return {
    store: {
      get: (ref) => store.get(ref),
      list: (kind, project, opts) => store.list(kind, project, opts),
      listAll: (kind, opts) => store.listAll(kind, opts),
      listByField: (term, opts) => store.listByField(term, opts),
      listProject: (project, opts) => store.listProject(project, opts),
      usage: (project) => store.usage(project),
      create: counted((obj, opts) => store.create(obj, opts)),
      createMany: counted((objs) => store.createMany(objs)),
      update: counted((obj, opts) => store.update(obj, opts)),
      replace: counted((ref, change) => store.replace(ref, change)),
      updateStatus: counted((obj) => store.updateStatus(obj)),
      delete: counted((ref, opts) => store.delete(ref, opts)),
    } as ObjectStore,
    wrote: () => writes > 0,
  };
}

export function deploymentConfigReconciler(deps: DeploymentConfigReconcilerDeps): Reconciler {
  const { store } = deps;
  const now = deps.now ?? Date.now;

  async function newestImage(project: string, streamTag: string): Promise<string | undefined> {
    const [stream, tag] = streamTag.split(':') as [string, string];
    const is = await store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project, name: stream });
    return is?.status?.tags?.find((t) => t.tag === tag)?.items[0]?.dockerImageReference;
  }

  /** Deleting a DC: its RCs first (so no pods are made again), then its pods and hook pods. */
  async function cleanup(project: string, name: string): Promise<Result> {
    for await (const rc of eachObject<ReplicationController>(store, 'ReplicationController', project, { [DC_LABEL]: name })) {
      await store.delete(refOf(rc)).catch(ignoring(NotFoundError));
    }
    for await (const pod of eachObject<Pod>(store, 'Pod', project, { [DC_LABEL]: name })) {
      if (!pod.metadata.deletionTimestamp) await terminatePod(store, pod).catch(ignoring(NotFoundError));
    }
    return {};
  }

  /**
   * Follows the automatic ImageChange triggers: a new image on a watched tag is written into the
   * template (and lastTriggeredImage), as OpenShift does. Returns the DC as now stored and the
   * first tag that has no image yet.
   */
  async function followImages(dc: DeploymentConfig): Promise<{ dc: DeploymentConfig; waitingFor?: string }> {
    let waitingFor: string | undefined;
    let changed = false;
    const triggers = [];
    let containers = dc.spec.template.spec.containers;
    for (const t of dc.spec.triggers) {
      if (t.type !== 'ImageChange') {
        triggers.push(t);
        continue;
      }
      const p = t.imageChangeParams;
      const image = await newestImage(p.from.namespace ?? dc.metadata.project, followedTag(t));
      const named = containers.filter((c) => p.containerNames.includes(c.name));
      if (!image) {
        if (named.some((c) => !c.image)) waitingFor ??= followedTag(t);
        triggers.push(t);
        continue;
      }
      if (p.automatic && (p.lastTriggeredImage !== image || named.some((c) => c.image !== image))) {
        containers = containers.map((c) => (p.containerNames.includes(c.name) ? { ...c, image } : c));
        triggers.push({ ...t, imageChangeParams: { ...p, lastTriggeredImage: image } });
        changed = true;
      } else triggers.push(t);
    }
    if (!changed) return { dc, waitingFor };
    const template = { ...dc.spec.template, spec: { ...dc.spec.template.spec, containers } };
    const updated = await store.update<DeploymentConfig>({ ...dc, spec: { ...dc.spec, template, triggers } });
    return { dc: { ...updated, spec: deploymentConfigSpec.parse(updated.spec) }, waitingFor };
  }

  /** Why the template differs from the latest revision: an image a trigger brought, or a config change. */
  function causeOf(dc: DeploymentConfig, latest: ReplicationController | undefined): string {
    const images = new Map((latest?.spec.template.spec.containers ?? []).map((c) => [c.name, c.image]));
    const byImage = imageTriggers(dc).some((t) => t.imageChangeParams.automatic && t.imageChangeParams.containerNames.some((n) => images.get(n) !== t.imageChangeParams.lastTriggeredImage));
    return byImage ? 'ImageChange' : 'ConfigChange';
  }

  async function triggers(dc: DeploymentConfig, rcs: ReplicationController[]): Promise<{ dc: DeploymentConfig; waitingFor?: string; started: boolean; start?: RevisionStart }> {
    if (dc.spec.paused) return { dc, started: false };
    const followed = await followImages(dc);
    dc = followed.dc;
    if (followed.waitingFor) return { dc, waitingFor: followed.waitingFor, started: false };
    const latest = rcs.at(-1);
    // The template as a revision would be made of it now: with the hash of the Secrets and ConfigMaps it uses.
    const stamped = (await withConfigHash(store, dc)).spec.template;
    if (latest && latest.metadata.annotations[TEMPLATE_HASH_ANNOTATION] === templateHash(stamped)) return { dc, started: false };
    const cause = causeOf(dc, latest);
    if (cause === 'ConfigChange' && !dc.spec.triggers.some((t) => t.type === 'ConfigChange')) return { dc, started: false };
    const configChanged = latest?.spec.template.metadata.annotations?.[CONFIG_HASH_ANNOTATION] !== stamped.metadata.annotations?.[CONFIG_HASH_ANNOTATION];
    const message = cause === 'ImageChange' ? `image change on ${imageTriggers(dc).map(followedTag).join(', ')}` : !latest ? 'initial deployment' : configChanged ? 'config change (a Secret or ConfigMap it uses changed)' : 'config change';
    let start: RevisionStart | undefined;
    await startRevision(store, dc, cause, message, now(), (s) => (start = s));
    return { dc, started: true, start };
  }

  /** A finished DC: its running revision at spec.replicas, every other one at 0. */
  async function keepScale(store: ObjectStore, dc: DeploymentConfig, rcs: ReplicationController[]): Promise<void> {
    const running = lastComplete(rcs);
    for (const rc of rcs) {
      const want = rc === running ? dc.spec.replicas : 0;
      if (rc.spec.replicas === want) continue;
      // The running revision tells the count it now heads for, in the same write.
      await scaleRc(store, rc, want, rc === running ? { towards: want } : {});
      if (rc === running) await recordEvent(store, refOf(dc), { type: 'Normal', reason: 'ReplicationControllerScaled', message: `Scaled replication controller "${rc.metadata.name}" from ${rc.spec.replicas} to ${want}` }, now());
    }
  }

  /** Deletes the oldest revisions beyond revisionHistoryLimit that hold no replicas (never the latest nor the running one). */
  async function prune(dc: DeploymentConfig, rcs: ReplicationController[]): Promise<void> {
    const keep = new Set([rcs.at(-1), lastComplete(rcs)]);
    const candidates = rcs.filter((rc) => !keep.has(rc));
    const excess = candidates.length - dc.spec.revisionHistoryLimit;
    for (const rc of candidates.slice(0, Math.max(0, excess))) {
      if (rc.spec.replicas !== 0 || (rc.status.replicas ?? 0) !== 0) continue;
      await store.delete(refOf(rc)).catch(ignoring(NotFoundError));
      for (const stage of ['pre', 'mid', 'post'] as const) {
        const pod = await store.get<Pod>({ kind: 'Pod', project: dc.metadata.project, name: hookPodName(rc.metadata.name, stage) });
        if (pod) await terminatePod(store, pod).catch(ignoring(NotFoundError));
      }
    }
  }

  /** The RCs this pass made or scaled, to the RC controller at once (new ones first: their pods are what a rollout waits for). */
  async function handOn(changed: ReplicationController[]): Promise<void> {
    if (!deps.replicate) return;
    for (const rc of [...changed].reverse()) await deps.replicate(refOf(rc)).catch(() => undefined);
  }

  /**
   * One pass over a DC at a time in a process (a stream batch, a change handed on at once, a
   * trigger's own template write); the calls a pass waiting for its turn, or one begun after
   * their change, would serve share that pass (one-at-a-time.ts).
   */
  const pass = coalescing();
  const reconcileDc = (project: string, name: string): Promise<Result> => pass(`${project}/${name}`, () => passDc(project, name));

  async function passDc(project: string, name: string): Promise<Result> {
    const stored = await store.get<DeploymentConfig>({ kind: 'DeploymentConfig', project, name });
    if (!stored || stored.metadata.deletionTimestamp) return cleanup(project, name);
    const spec = deploymentConfigSpec.safeParse(stored.spec);
    if (!spec.success) return {};
    let dc: DeploymentConfig = { ...stored, spec: spec.data, status: stored.status ?? {} };
    let rcs = await revisionsOf(store, project, name);
    const triggered = await triggers(dc, rcs);
    dc = triggered.dc;
    if (triggered.started) rcs = await revisionsOf(store, project, name);
    const { start } = triggered;
    // A revision started here is told in the DC's status by this pass's one status write (or, should the pass fail before it, at once).
    const tell = (cur: DeploymentConfig): DeploymentConfig => (start ? { ...cur, status: toldOf(cur, start) ?? cur.status } : cur);
    let result: Result = {};
    try {
      const before = new Map(rcs.map((rc) => [rc.metadata.name, rc.metadata.generation]));
      // The RCs are read again only when this pass wrote something (a pass that finds nothing to do writes nothing).
      const watched = noticingWrites(store);
      if (inFlight(rcs.at(-1))) result = await advanceRollout({ store: watched.store, dc, rcs, now: now() });
      else await keepScale(watched.store, dc, rcs);
      if (triggered.started || watched.wrote()) {
        rcs = await revisionsOf(store, project, name);
        await handOn(rcs.filter((rc) => before.get(rc.metadata.name) !== rc.metadata.generation));
      }
      if (!inFlight(rcs.at(-1))) await prune(dc, rcs);
    } catch (err) {
      if (start) await patchStatus<DeploymentConfig>(store, refOf(dc), (cur) => toldOf(cur, start), dc);
      throw err;
    }
    // The DC as read at the start of the pass (or as this pass wrote it) saves reading it again; a stale one is a conflict, then read.
    await patchStatus<DeploymentConfig>(store, refOf(dc), (read) => {
      const cur = tell(read);
      const status = deploymentConfigStatus({ dc: { ...dc, metadata: cur.metadata, status: cur.status ?? {} }, rcs, waitingFor: triggered.waitingFor, now: now() });
      return JSON.stringify(status) === JSON.stringify(read.status) ? undefined : status;
    }, { ...dc, status: dc.status });
    return result;
  }

  /** Reconciles the project's DeploymentConfigs that `uses` picks; the soonest requeue of them. */
  /** Reconciles the DCs of `project` (of every project when undefined) that `uses` picks. */
  async function reconcileUsers(project: string | undefined, uses: (dc: DeploymentConfig) => boolean): Promise<Result> {
    let soonest: number | undefined;
    const dcs = project === undefined ? eachOfKind<DeploymentConfig>(store, 'DeploymentConfig') : eachObject<DeploymentConfig>(store, 'DeploymentConfig', project);
    for await (const dc of dcs) {
      if (!uses(dc)) continue;
      const r = await reconcileDc(dc.metadata.project, dc.metadata.name);
      if (r.requeueAfter !== undefined) soonest = Math.min(soonest ?? Infinity, r.requeueAfter);
    }
    return soonest === undefined ? {} : { requeueAfter: soonest };
  }

  return {
    name: 'deploymentconfigs',
    kinds: ['DeploymentConfig', 'ReplicationController', 'Pod', 'ImageStream', 'Secret', 'ConfigMap'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      switch (ref.kind) {
        case 'DeploymentConfig':
          return reconcileDc(ref.project, ref.name);
        case 'ReplicationController': {
          const rc = await store.get<ReplicationController>(ref);
          const dc = rc?.metadata.labels[DC_LABEL] ?? dcNameOf(ref.name);
          return dc ? reconcileDc(ref.project, dc) : {};
        }
        case 'Pod': {
          const pod = await store.get<Pod>(ref);
          const dc = pod?.metadata.labels[DC_LABEL];
          return dc ? reconcileDc(ref.project, dc) : {};
        }
        case 'ImageStream': {
          const follows = (dc: DeploymentConfig) => imageTriggers(dc).some((t) => (t.imageChangeParams.from.namespace ?? dc.metadata.project) === ref.project && followedTag(t).startsWith(`${ref.name}:`));
          // A stream of the shared project is followed from every project.
          return reconcileUsers(ref.project === SHARED_PROJECT ? undefined : ref.project, follows);
        }
        case 'Secret':
        case 'ConfigMap':
          // A change of one rolls out the DeploymentConfigs whose pods use it.
          return reconcileUsers(ref.project, (dc) => {
            const spec = deploymentConfigSpec.safeParse(dc.spec);
            return spec.success && configRefsOf(spec.data.template).includes(`${ref.kind}/${ref.name}`);
          });
        default:
          return {};
      }
    },
    async *resync() {
      for await (const dc of eachOfKind<DeploymentConfig>(store, 'DeploymentConfig')) yield refOf(dc);
    },
  };
}
