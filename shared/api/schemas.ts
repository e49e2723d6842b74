// Request and response schemas shared by the routes; the OpenAPI document is made from them.
import { z } from '@hono/zod-openapi';
import { annotationMap, dnsName, labelMap } from '../model/names.ts';

export const ErrorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    suggestion: z.string().optional(),
  })
  .openapi('Error');

export const MetadataOut = z
  .object({
    name: z.string(),
    project: z.string(),
    uid: z.string(),
    resourceVersion: z.string(),
    generation: z.number().int(),
    creationTimestamp: z.string(),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
    deletionTimestamp: z.string().optional(),
    finalizers: z.array(z.string()).optional(),
    expiresAt: z.string().optional(),
  })
  .openapi('ObjectMeta');

/** The metadata a client sends to create an object. */
export const CreateMeta = z.strictObject({
  name: dnsName,
  project: z.string().optional(),
  labels: labelMap.optional(),
  annotations: annotationMap.optional(),
});

/** The metadata a client sends to replace an object: it must carry the version it read. */
export const UpdateMeta = CreateMeta.extend({
  resourceVersion: z.string().min(1, 'required: send the resourceVersion you read'),
  uid: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  finalizers: z.array(z.string()).optional(),
  expiresAt: z.string().optional(),
});

export function objectOut(kind: string, spec: z.ZodType, status: z.ZodType) {
  return z.object({ kind: z.literal(kind), metadata: MetadataOut, spec, status }).openapi(kind);
}

export function listOut(kind: string, item: z.ZodType) {
  return z
    .object({ kind: z.literal(`${kind}List`), items: z.array(item), metadata: z.object({ continue: z.string().optional() }) })
    .openapi(`${kind}List`);
}

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continue: z.string().optional(),
  labelSelector: z
    .string()
    .regex(/^[^=,\s]+=[^=,\s]*(,[^=,\s]+=[^=,\s]*)*$/, 'use key=value pairs separated by commas')
    .optional(),
});

export const DeleteQuery = z.strictObject({ resourceVersion: z.string().optional() });

export const ProjectParam = z.object({ project: dnsName });
export const NameParam = z.object({ name: z.string().min(1).max(253) });
export const ProjectNameParam = ProjectParam.extend({ name: z.string().min(1).max(253) });

export function parseSelector(selector: string | undefined): Record<string, string> | undefined {
  if (!selector) return undefined;
  return Object.fromEntries(selector.split(',').map((pair) => pair.split('=') as [string, string]));
}
