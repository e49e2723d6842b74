// The one error mapper of the API: domain errors keep their status and body; framework errors
// become the same {code, message, details} shape; anything unknown is a 500 with no internals.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import type { Logger } from 'pino';
import { BerthError, ValidationError, type ErrorBody } from '../errors.ts';

/** A ValidationError naming every field zod found at fault, prefixed with the request part. */
export function fromZod(error: ZodError, target: string): ValidationError {
  const prefix = target === 'json' ? '' : `${target === 'param' ? 'path' : target}.`;
  const details = error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => (path ? `${path}.${k}` : k)) : [];
    return keys.length
      ? { field: prefix + keys.join(', ' + prefix), message: 'unknown field' }
      : { field: prefix + (path || '(body)'), message: i.message };
  });
  const first = details[0]!;
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return new ValidationError(`${first.field}: ${first.message}${more}`, details);
}

export function errorResponse(err: unknown, c: Context, logger?: Logger): Response {
  if (err instanceof BerthError) {
    for (const [name, value] of Object.entries(err.headers ?? {})) c.header(name, value);
    return c.json(err.toJSON(), err.status as 400);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const body: ErrorBody =
      status === 400 && /json/i.test(err.message)
        ? { code: 'MalformedJSON', message: 'the request body is not valid JSON', details: [{ field: '(body)', message: err.message }] }
        : { code: codeFor(status), message: err.message || codeFor(status) };
    return c.json(body, status);
  }
  logger?.error({ err, path: c.req.path, method: c.req.method }, 'unhandled error');
  return c.json({ code: 'Internal', message: 'internal error; the request may be retried' } satisfies ErrorBody, 500);
}

function codeFor(status: number): string {
  return { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType' }[status] ?? 'BadRequest';
}
