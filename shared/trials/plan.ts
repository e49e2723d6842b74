// The trial plan: the ResourceQuota and LimitRange every trial project is made with. One
// cluster-scoped `TrialPlan` named `default`, which cluster admins read and replace
// (`berth adm trial-plan`, GET/PUT /api/v1/trialplan); until one is stored, DEFAULT_PLAN holds.
import * as z from 'zod';
import { limitRangeSpec, resourceQuotaSpec, LIMIT_RANGE_KIND, QUOTA_KIND } from '../quota/kinds.ts';
import type { BerthObject, NewObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { retryOnConflict } from '../store/patch.ts';
import { AlreadyExistsError } from '../errors.ts';

export const PLAN_KIND = 'TrialPlan';
export const PLAN_NAME = 'default';
/** The names of the quota and limit range a trial project gets. */
export const TRIAL_QUOTA = 'trial';

export const trialPlanSpec = z.strictObject({ quota: resourceQuotaSpec.default({ hard: {} }), limitRange: limitRangeSpec.default({ limits: [] }) });
export type TrialPlanSpec = z.infer<typeof trialPlanSpec>;
export type TrialPlan = BerthObject<TrialPlanSpec, unknown>;

export const DEFAULT_PLAN: TrialPlanSpec = {
  quota: {
    hard: { pods: 4, 'requests.cpu': '2', 'requests.memory': '2Gi', 'limits.cpu': '4', 'limits.memory': '4Gi', routes: 2, services: 4, builds: 2, persistentvolumeclaims: 2, 'requests.storage': '2Gi' },
  },
  limitRange: {
    limits: [{ type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '256Mi' }, max: { cpu: '2', memory: '2Gi' } }],
  },
};

export const planRef = { kind: PLAN_KIND, project: '', name: PLAN_NAME };

/** The plan as stored, or the default one (not stored) when no cluster admin has set one. */
export async function readPlan(store: ObjectStore): Promise<{ spec: TrialPlanSpec; resourceVersion?: string }> {
  const stored = await store.get<TrialPlan>(planRef);
  return stored ? { spec: stored.spec, resourceVersion: stored.metadata.resourceVersion } : { spec: DEFAULT_PLAN };
}

/** The quota and limit range of a trial project made from `plan`, to be written with the project. */
export function planObjects(plan: TrialPlanSpec, project: string): NewObject[] {
  return [
    { kind: QUOTA_KIND, metadata: { name: TRIAL_QUOTA, project }, spec: plan.quota },
    { kind: LIMIT_RANGE_KIND, metadata: { name: TRIAL_QUOTA, project }, spec: plan.limitRange },
  ];
}

/** Stores `spec` as the plan (creating it the first time); projects made before keep theirs. */
export async function writePlan(store: ObjectStore, spec: TrialPlanSpec): Promise<TrialPlan> {
  return retryOnConflict(async () => {
    const stored = await store.get<TrialPlan>(planRef);
    return stored ? store.update<TrialPlan>({ ...stored, spec }) : store.create<TrialPlan>({ kind: PLAN_KIND, metadata: { name: PLAN_NAME, project: '' }, spec });
  }, [AlreadyExistsError]);
}
