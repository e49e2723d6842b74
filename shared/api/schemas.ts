// Request and response schemas shared by the routes; the OpenAPI document is made from them.
// Response schemas serve only the document, so they are made with it (lazySchema), not before.
import * as z from 'zod';
import { apiVersionProblem } from '../model/api-versions.ts';
import { annotationMap, dnsName, labelMap } from '../model/names.ts';
import { lazySchema, named } from './route.ts';

export const errorOut = lazySchema(() =>
  named(
    'Error',
    z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
      suggestion: z.string().optional(),
    }),
  ),
);

const metadataOut = lazySchema(() =>
  named(
    'ObjectMeta',
    z.object({
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
    }),
  ),
);

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

/**
 * The apiVersion a request may give for `kind` (OpenShift's, Kubernetes', Berth's own): any other
 * is a 422 naming apiVersion.
 */
export function apiVersionField(kind: string) {
  return z
    .string()
    .max(253)
    .superRefine((v, ctx) => {
      const problem = apiVersionProblem(kind, v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional();
}

/** A spec left out is an empty one, with the kind's defaults (as OpenShift does); what is required stays so. */
export const specOrEmpty = <T extends z.ZodType>(spec: T) => spec.prefault({} as z.input<T>);

/** The response schema of an object of `kind`, made when the OpenAPI document is. */
export function objectOut(kind: string, spec: z.ZodType, status: z.ZodType): () => z.ZodType {
  return lazySchema(() => named(kind, z.object({ apiVersion: z.string(), kind: z.literal(kind), metadata: metadataOut(), spec, status })));
}

/** The response schema of a list of `item`s, made when the OpenAPI document is. */
export function listOut(kind: string, item: () => z.ZodType): () => z.ZodType {
  return lazySchema(() => named(`${kind}List`, z.object({ apiVersion: z.string(), kind: z.literal(`${kind}List`), items: z.array(item()), metadata: z.object({ continue: z.string().optional() }) })));
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

/** `?dryRun=All`, as Kubernetes: every check of the write is made (access, schema, admission, name taken), nothing is stored. */
export const WriteQuery = z.strictObject({ dryRun: z.literal('All', 'the one dry run is "All"').optional() });

export const ProjectParam = z.object({ project: dnsName });
export const NameParam = z.object({ name: z.string().min(1).max(253) });
export const ProjectNameParam = ProjectParam.extend({ name: z.string().min(1).max(253) });

export { parseSelector } from '../model/label-selector.ts';
