// `berth adm prune`: gathers the objects of every project, plans with plan.ts and, when
// confirmed, removes what the plan lists. Images leave the image streams here; their manifests
// leave the registry through the image-prune reconciler (prune-images.ts), which runs where the
// registry's credentials are (the reconcilers on AWS).
import { NotFoundError, ignoring } from '../errors.ts';
import { BUILDCONFIG_LABEL } from '../builds/instantiate.ts';
import { TERMINAL_PHASES, type BuildPhase } from '../model/build-phases.ts';
import type { ImageStreamStatus } from '../model/build-kinds.ts';
import { DC_LABEL } from '../model/deploy-kinds.ts';
import type { DeploymentConfig, Pod, ReplicationController } from '../model/objects.ts';
import type { BerthObject } from '../model/types.ts';
import { revisionOf } from '../deploy/rollout-template.ts';
import { deleteObject } from '../store/deletion.ts';
import { eachOfKind } from '../store/each.ts';
import { patchObject, patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { digestsOf, planBuildPrune, planDeploymentPrune, planImagePrune, type PruneItem, type PruneOptions } from './plan.ts';

export const PRUNE_TARGETS = ['builds', 'deployments', 'images'] as const;
export type PruneTarget = (typeof PRUNE_TARGETS)[number];

/** On an ImageStream: digests pruned from its history, for the registry to delete. */
export const PRUNE_ANNOTATION = 'images.berth.io/prune';

type Build = BerthObject<unknown, { phase?: BuildPhase; output?: { to?: { imageDigest?: string } } }>;
type ImageStream = BerthObject<unknown, ImageStreamStatus>;

async function all<T extends BerthObject>(store: ObjectStore, kind: string): Promise<T[]> {
  const out: T[] = [];
  for await (const o of eachOfKind<T>(store, kind)) out.push(o);
  return out;
}

const imagesOfTemplate = (t: { spec: { containers: { image?: string }[] } } | undefined) => (t?.spec.containers ?? []).map((c) => c.image ?? '');

/** The digests of every image in use anywhere: RCs (history included), pods, DeploymentConfigs, unfinished builds. */
async function imagesInUse(store: ObjectStore): Promise<Set<string>> {
  const refs: string[] = [];
  for (const rc of await all<ReplicationController>(store, 'ReplicationController')) refs.push(...imagesOfTemplate(rc.spec.template));
  for (const dc of await all<DeploymentConfig>(store, 'DeploymentConfig')) refs.push(...imagesOfTemplate(dc.spec.template));
  for (const pod of await all<Pod>(store, 'Pod')) refs.push(...imagesOfTemplate(pod));
  const inUse = digestsOf(refs);
  for (const b of await all<Build>(store, 'Build')) {
    if (TERMINAL_PHASES.includes(b.status?.phase as BuildPhase)) continue;
    const digest = b.status?.output?.to?.imageDigest;
    if (digest) inUse.add(digest);
  }
  return inUse;
}

/** What pruning `target` removes; removed too when `confirm`. */
export async function prune(store: ObjectStore, target: PruneTarget, opts: PruneOptions, confirm: boolean, now = Date.now()): Promise<PruneItem[]> {
  if (target === 'builds') {
    const items = planBuildPrune(await all<Build>(store, 'Build'), BUILDCONFIG_LABEL, opts, now);
    if (confirm) for (const i of items) await deleteObject(store, { kind: 'Build', project: i.project, name: i.name }).catch(ignoring(NotFoundError));
    return items;
  }
  if (target === 'deployments') {
    const rcs = await all<ReplicationController>(store, 'ReplicationController');
    const items = planDeploymentPrune(await all<DeploymentConfig>(store, 'DeploymentConfig'), rcs, DC_LABEL, (rc) => revisionOf(rc as ReplicationController), opts, now);
    if (confirm) for (const i of items) await deleteObject(store, { kind: 'ReplicationController', project: i.project, name: i.name }).catch(ignoring(NotFoundError));
    return items;
  }
  const items = planImagePrune(await all<ImageStream>(store, 'ImageStream'), await imagesInUse(store), opts, now);
  if (confirm) {
    const byStream = new Map<string, PruneItem[]>();
    for (const i of items) byStream.set(`${i.project}/${i.name}`, [...(byStream.get(`${i.project}/${i.name}`) ?? []), i]);
    for (const list of byStream.values()) await pruneStream(store, list);
  }
  return items;
}

/** Removes the items from the stream's history, then names their digests (those no other tag keeps) for the registry to delete. */
async function pruneStream(store: ObjectStore, items: PruneItem[]): Promise<void> {
  const { project, name } = items[0]!;
  const ref = { kind: 'ImageStream', project, name };
  const gone = new Set(items.map((i) => `${i.tag}@${i.image}`));
  const pruned = await patchStatus<ImageStream>(store, ref, (is) => ({
    ...is.status,
    tags: (is.status?.tags ?? []).map((t) => ({ ...t, items: t.items.filter((item) => !gone.has(`${t.tag}@${item.image}`)) })),
  })).catch(ignoring(NotFoundError));
  if (!pruned) return;
  const kept = new Set((pruned.status?.tags ?? []).flatMap((t) => t.items.map((i) => i.image)));
  const digests = items.map((i) => i.image!).filter((d) => !kept.has(d));
  if (!digests.length) return;
  await patchObject<ImageStream>(store, ref, (is) => {
    const pending = new Set([...(is.metadata.annotations?.[PRUNE_ANNOTATION]?.split(',').filter(Boolean) ?? []), ...digests]);
    return { ...is, metadata: { ...is.metadata, annotations: { ...is.metadata.annotations, [PRUNE_ANNOTATION]: [...pending].sort().join(',') } } };
  }).catch(ignoring(NotFoundError));
}
