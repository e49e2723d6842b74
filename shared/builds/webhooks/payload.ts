// Reading a webhook body: JSON, then the fields a plugin needs, each failure a 400 that says
// what was wrong.
import * as z from 'zod';
import { BadRequestError, JSON_MEDIA_TYPE, requireMediaType } from '../../errors.ts';

export function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    throw new BadRequestError('MalformedJSON', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function parsePayload<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(body)';
  throw new BadRequestError('InvalidPayload', `${what}: ${field}: ${issue.message}`);
}

/** Refuses a body that says it is not JSON (GitHub can be set to send form-encoded bodies). */
export function requireJson(contentType: string | undefined, hint: string): void {
  requireMediaType(contentType, JSON_MEDIA_TYPE, hint);
}

/** A git author or committer as the payloads carry one. */
export const person = z.object({ name: z.string().optional(), email: z.string().optional() });

/** "Name <email>" from a git author object. */
export const authorOf = (a: { name?: string; email?: string } | string | undefined): string | undefined =>
  typeof a === 'string' ? a : a && [a.name, a.email && `<${a.email}>`].filter(Boolean).join(' ') || undefined;
