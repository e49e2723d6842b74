// The idling vocabulary, after OpenShift's idler: which DeploymentConfigs may be idled (those of
// trial projects and those that ask for it) and the system annotations that remember an idled
// DC's replicas and tell the routers to hold requests for its Services. Pure.
import type { DeploymentConfig, Service } from '../model/objects.ts';
import type { BerthObject } from '../model/types.ts';

/** On a DC, set by its owner: idle it when quiet even outside a trial project. */
export const IDLING_ENABLED = 'idling.berth.io/enabled';
/** On an idled DC: its replicas before it was idled (system-owned). */
export const PREVIOUS_REPLICAS = 'idling.berth.io/previous-replicas';
/** On an idled DC and on its Services: when it was idled, RFC 3339 (system-owned). */
export const IDLED_AT = 'idling.berth.io/idled-at';
/** On a DC woken up: when, RFC 3339; its quiet time counts from there (system-owned). */
export const UNIDLED_AT = 'idling.berth.io/unidled-at';
/** On an idled Service: the DCs a request to it wakes, comma-separated (system-owned). */
export const UNIDLE_TARGETS = 'idling.berth.io/unidle-targets';
/** On a Project: a trial project (the sign-up service sets it). */
export const TRIAL_LABEL = 'berth.io/trial';

export const isIdled = (o: Pick<BerthObject, 'metadata'>): boolean => o.metadata.annotations?.[IDLED_AT] !== undefined;

/** Whether the idler looks after this DC: it asks to be, or it lives in a trial project. */
export function idlingApplies(dc: Pick<DeploymentConfig, 'metadata'>, project: Pick<BerthObject, 'metadata'> | undefined): boolean {
  return dc.metadata.annotations?.[IDLING_ENABLED] === 'true' || project?.metadata.labels?.[TRIAL_LABEL] === 'true';
}

/** Whether the Service's selector picks the DC's pods. */
export function selects(svc: Pick<Service, 'spec'>, dc: Pick<DeploymentConfig, 'spec'>): boolean {
  const selector = svc.spec.selector ?? {};
  const labels = dc.spec.template?.metadata?.labels ?? {};
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

/** The DC's annotations without the idled state (kept: enabled, and unidled-at when given). */
export function withoutIdledState(annotations: Record<string, string> | undefined, unidledAt?: string): Record<string, string> {
  const { [PREVIOUS_REPLICAS]: _p, [IDLED_AT]: _i, [UNIDLE_TARGETS]: _t, ...rest } = annotations ?? {};
  return unidledAt ? { ...rest, [UNIDLED_AT]: unidledAt } : rest;
}

/**
 * When the DC was last busy, as far as its own history says (ms): created, or woken up.
 * Requests through the routers (shared/idling/signals.ts) come on top.
 */
export function quietSince(dc: Pick<DeploymentConfig, 'metadata'>): number {
  const woken = Date.parse(dc.metadata.annotations?.[UNIDLED_AT] ?? '');
  const created = Date.parse(dc.metadata.creationTimestamp ?? '');
  return Math.max(Number.isNaN(woken) ? 0 : woken, Number.isNaN(created) ? 0 : created);
}
