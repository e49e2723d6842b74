// The kinds of the quota capability, after Kubernetes' core/v1: ResourceQuota (hard limits on
// what a project uses; status.used is the project's usage counter) and LimitRange (what each
// container may ask for, and what it gets when it says nothing).
import * as z from 'zod';
import type { BerthObject } from '../model/types.ts';
import { cpuQuantity, memoryQuantity } from '../model/quantity.ts';
import { parseAmount, QUOTA_RESOURCES, type QuotaResource, type Usage } from './resources.ts';

export const QUOTA_KIND = 'ResourceQuota';
export const LIMIT_RANGE_KIND = 'LimitRange';

const amount = z.union([z.string().max(32), z.number().int().min(0)]);

export const resourceQuotaSpec = z.strictObject({
  hard: z
    .partialRecord(z.enum(QUOTA_RESOURCES), amount)
    .default({})
    .superRefine((hard, ctx) => {
      for (const [r, q] of Object.entries(hard)) {
        if (parseAmount(r as QuotaResource, q!) === undefined) ctx.addIssue({ code: 'custom', path: [r], message: r.endsWith('.cpu') ? 'cores ("2") or millicores ("500m")' : r.endsWith('.memory') || r.endsWith('.storage') ? 'bytes with an optional suffix ("2Gi")' : 'a whole number' });
      }
    }),
});
export type ResourceQuotaSpec = z.infer<typeof resourceQuotaSpec>;

export const resourceQuotaStatus = z.object({
  hard: z.record(z.string(), z.string()).optional(),
  used: z.record(z.string(), z.string()).optional(),
});
export type ResourceQuotaStatus = z.infer<typeof resourceQuotaStatus>;
export type ResourceQuota = BerthObject<ResourceQuotaSpec, ResourceQuotaStatus>;

/** A quota's hard limits in base units. */
export function hardOf(o: BerthObject): Usage {
  const out: Usage = {};
  for (const [r, q] of Object.entries((o.spec as ResourceQuotaSpec | undefined)?.hard ?? {})) {
    const n = parseAmount(r as QuotaResource, q!);
    if (n !== undefined) out[r as QuotaResource] = n;
  }
  return out;
}

const quantities = z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() });
const ratio = z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/, 'a number such as "4"').transform(Number)]).pipe(z.number().min(1, 'at least 1'));
const ratios = z.strictObject({ cpu: ratio.optional(), memory: ratio.optional() });

export const limitRangeItem = z.strictObject({
  type: z.literal('Container').default('Container'),
  default: quantities.optional(),
  defaultRequest: quantities.optional(),
  min: quantities.optional(),
  max: quantities.optional(),
  maxLimitRequestRatio: ratios.optional(),
});
export type LimitRangeItem = z.infer<typeof limitRangeItem>;

export const limitRangeSpec = z.strictObject({ limits: z.array(limitRangeItem).max(20).default([]) });
export type LimitRangeSpec = z.infer<typeof limitRangeSpec>;
export type LimitRange = BerthObject<LimitRangeSpec, unknown>;
