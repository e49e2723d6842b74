// What the API does to a Secret's or ConfigMap's spec before it is stored, beyond its schema:
// fields a Kubernetes manifest gives at the top level are taken into the spec, a Secret's
// `stringData` is written into `data` (base64). (What one object holds is bounded by the
// request's 1 MiB and the store's item size: 413.) Pure.
import type * as z from 'zod';
import { fromZod } from '../api/errors.ts';
import { TOP_LEVEL_FIELDS, type SecretSpec } from '../model/config-kinds.ts';

/**
 * The spec of a body that may carry Kubernetes' top-level fields: those given win over the
 * spec's, and the whole is checked against the kind's schema again (422 naming the field).
 * @example specOfBody('Secret', secretSpec, { spec: {}, data: { a: 'eA==' } }) // { type: 'Opaque', data: { a: 'eA==' } }
 */
export function specOfBody(kind: string, schema: z.ZodType, body: Record<string, unknown> & { spec: unknown }): unknown {
  const fields = TOP_LEVEL_FIELDS[kind] ?? [];
  const given = fields.filter((f) => body[f] !== undefined);
  if (!given.length) return body.spec;
  const merged = { ...(body.spec as object), ...Object.fromEntries(given.map((f) => [f, body[f]])) };
  const parsed = schema.safeParse(merged);
  if (!parsed.success) throw fromZod(parsed.error, 'json');
  return parsed.data;
}

/** A Secret's spec as stored: `stringData` written into `data`, base64-encoded. */
export function foldStringData(spec: SecretSpec): SecretSpec {
  const { stringData, ...rest } = spec;
  const data = { ...rest.data };
  for (const [k, v] of Object.entries(stringData ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
  return { ...rest, data };
}

/** The spec as the API stores it (before sealing): per kind, what its schema cannot say. */
export function prepareSpec(kind: string, spec: unknown): unknown {
  if (kind === 'Secret') return foldStringData(spec as SecretSpec);
  return spec;
}
