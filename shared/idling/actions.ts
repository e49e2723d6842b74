// Idling and waking one DeploymentConfig, by the idler or by hand (`berth idle|unidle dc/NAME`).
// Idling scales the DC to 0 and remembers its replicas and when, then marks its Services so the
// routers hold their requests (their endpoints go as the pods stop). Waking gives the DC its
// replicas back; the Services keep their mark until they have ready endpoints again (the idler
// removes it then), so the routers go on holding requests, not refusing them, meanwhile.
import { ConflictError, ignoring, NotFoundError } from '../errors.ts';
import { recordEvent } from '../events/record.ts';
import { revisionsOf } from '../deploy/rollout-revision.ts';
import { scaleRc } from '../deploy/rollout-strategy.ts';
import { deploymentConfigSpec } from '../model/deploy-kinds.ts';
import type { DeploymentConfig, Service } from '../model/objects.ts';
import type { ObjectRef } from '../model/types.ts';
import { collect, eachObject } from '../store/each.ts';
import { patchObject } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { IDLED_AT, isIdled, PREVIOUS_REPLICAS, selects, UNIDLE_TARGETS, withoutIdledState } from './annotations.ts';

/** The project's Services that pick the DC's pods. */
export async function servicesOf(store: ObjectStore, dc: DeploymentConfig): Promise<Service[]> {
  const all = await collect(eachObject<Service>(store, 'Service', dc.metadata.project));
  return all.filter((s) => !s.metadata.deletionTimestamp && selects(s, dc));
}

/** Marks the Services as idled, naming the DCs a request wakes (added to those already named). */
export async function markServices(store: ObjectStore, services: Service[], dcName: string, idledAt: string): Promise<void> {
  for (const s of services) {
    await patchObject<Service>(store, { kind: 'Service', project: s.metadata.project, name: s.metadata.name }, (cur) => {
      const a = cur.metadata.annotations ?? {};
      const targets = new Set((a[UNIDLE_TARGETS] ?? '').split(',').filter(Boolean));
      if (a[IDLED_AT] && targets.has(dcName)) return undefined;
      targets.add(dcName);
      return { ...cur, metadata: { ...cur.metadata, annotations: { ...a, [IDLED_AT]: a[IDLED_AT] ?? idledAt, [UNIDLE_TARGETS]: [...targets].sort().join(',') } } };
    });
  }
}

/**
 * Scales the DC to 0, remembering its replicas. `why` goes into the Event. A DC already idled
 * is left as it is; one with no replicas has nothing to idle (409).
 */
export async function idleDeploymentConfig(store: ObjectStore, ref: ObjectRef, at: number, why: string): Promise<DeploymentConfig> {
  const idledAt = new Date(at).toISOString();
  let changed = false;
  const dc = await patchObject<DeploymentConfig>(store, ref, (cur) => {
    if (isIdled(cur) || cur.metadata.deletionTimestamp) return undefined;
    const spec = deploymentConfigSpec.parse(cur.spec);
    if (spec.replicas === 0) throw new ConflictError(`deployment config "${ref.name}" has no replicas to idle`, 'scale it up first, or leave it: it uses nothing');
    changed = true;
    const annotations = { ...withoutIdledState(cur.metadata.annotations), [PREVIOUS_REPLICAS]: String(spec.replicas), [IDLED_AT]: idledAt };
    return { ...cur, metadata: { ...cur.metadata, annotations }, spec: { ...spec, replicas: 0 } };
  });
  if (!dc) throw new NotFoundError('DeploymentConfig', ref.name);
  if (!changed) return dc;
  await markServices(store, await servicesOf(store, dc), dc.metadata.name, idledAt);
  await recordEvent(store, ref, { type: 'Normal', reason: 'Idled', message: `scaled from ${dc.metadata.annotations?.[PREVIOUS_REPLICAS]} to 0: ${why}` }, at);
  return dc;
}

/**
 * The woken DC's running revision scaled up in the same breath, as its controller would do next
 * (keepScale), so that its pods are made one reconcile sooner; only a finished latest revision
 * (a rollout in flight is its controller's to scale), and only when it is at 0. Whatever fails
 * here, the DC's controller does it anyway.
 */
async function scaleRunningRevision(store: ObjectStore, dc: DeploymentConfig, replicas: number): Promise<void> {
  const latest = (await revisionsOf(store, dc.metadata.project, dc.metadata.name)).at(-1);
  if (latest?.status.phase !== 'Complete' || latest.spec.replicas !== 0) return;
  await scaleRc(store, latest, replicas).catch(ignoring(NotFoundError, ConflictError));
}

/** Gives an idled DC its replicas back (1 when none were remembered); 409 when it is not idled. */
export async function unidleDeploymentConfig(store: ObjectStore, ref: ObjectRef, at: number, why: string, opts: { onlyIfIdled?: boolean; known?: DeploymentConfig } = {}): Promise<DeploymentConfig | undefined> {
  let replicas = 0;
  const dc = await patchObject<DeploymentConfig>(store, ref, (cur) => {
    if (!isIdled(cur)) {
      if (opts.onlyIfIdled) return undefined;
      throw new ConflictError(`deployment config "${ref.name}" is not idled`, 'use `berth scale` to change its replicas');
    }
    const spec = deploymentConfigSpec.parse(cur.spec);
    const remembered = Number(cur.metadata.annotations?.[PREVIOUS_REPLICAS]);
    // Scaled by hand while idled: keep what was asked for.
    replicas = spec.replicas > 0 ? spec.replicas : Number.isInteger(remembered) && remembered > 0 ? remembered : 1;
    const annotations = withoutIdledState(cur.metadata.annotations, new Date(at).toISOString());
    return { ...cur, metadata: { ...cur.metadata, annotations }, spec: { ...spec, replicas } };
  }, opts.known);
  if (!dc) {
    if (opts.onlyIfIdled) return undefined;
    throw new NotFoundError('DeploymentConfig', ref.name);
  }
  if (replicas > 0) {
    await Promise.all([
      scaleRunningRevision(store, dc, replicas),
      recordEvent(store, ref, { type: 'Normal', reason: 'Unidled', message: `scaled from 0 to ${replicas}: ${why}` }, at),
    ]);
  }
  return dc;
}
