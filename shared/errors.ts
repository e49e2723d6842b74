// Typed domain errors. Each carries a machine `code`, an HTTP status, a human message and,
// where it helps, `details` (the fields at fault) and a `suggestion` the CLI can print as a hint.
// The API maps them with one error handler; adapters translate vendor errors into these.

export interface FieldProblem {
  field: string;
  message: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: FieldProblem[] | Record<string, unknown>;
  suggestion?: string;
}

export class BerthError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: ErrorBody['details'];
  readonly suggestion?: string;
  /** Response headers the answer carries (Retry-After). */
  readonly headers?: Record<string, string>;

  constructor(status: number, code: string, message: string, opts: { details?: ErrorBody['details']; suggestion?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = opts.details;
    this.suggestion = opts.suggestion;
    this.headers = opts.headers;
  }

  toJSON(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.details !== undefined) body.details = this.details;
    if (this.suggestion !== undefined) body.suggestion = this.suggestion;
    return body;
  }
}

export class ValidationError extends BerthError {
  constructor(message: string, details: FieldProblem[], suggestion?: string) {
    super(422, 'Invalid', message, { details, suggestion });
  }

  static field(field: string, message: string): ValidationError {
    return new ValidationError(`${field}: ${message}`, [{ field, message }]);
  }
}

export class BadRequestError extends BerthError {
  constructor(code: string, message: string, suggestion?: string, details?: FieldProblem[]) {
    super(400, code, message, { suggestion, details });
  }
}

export class UnauthorizedError extends BerthError {
  constructor(message = 'authentication required') {
    super(401, 'Unauthorized', message, { suggestion: 'log in with `berth login URL --username U --password P`' });
  }
}

export class ForbiddenError extends BerthError {
  constructor(message: string, suggestion = 'ask a project admin for a role binding') {
    super(403, 'Forbidden', message, { suggestion });
  }
}

export class NotFoundError extends BerthError {
  constructor(kind: string, name: string) {
    super(404, 'NotFound', `${kind} "${name}" not found`);
  }
}

export class AlreadyExistsError extends BerthError {
  constructor(kind: string, name: string) {
    super(409, 'AlreadyExists', `${kind} "${name}" already exists`, { suggestion: 'choose another name' });
  }
}

export class ConflictError extends BerthError {
  constructor(message: string, suggestion = 'read the object again and retry with its current resourceVersion') {
    super(409, 'Conflict', message, { suggestion });
  }
}

/** A reconciler error that retrying cannot fix: record the reason, do not retry. */
export class TerminalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerminalError';
  }
}

/**
 * A catch handler that swallows the given error types and rethrows anything else.
 * @example await store.delete(ref).catch(ignoring(NotFoundError));
 */
export function ignoring(...types: (new (...args: never[]) => Error)[]): (err: unknown) => void {
  return (err) => {
    if (!types.some((t) => err instanceof t)) throw err;
  };
}

/** JSON and its structured-suffix types (`application/merge-patch+json`), with parameters. */
export const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json\s*(;.*)?$/i;

/**
 * The one check of a request body's media type: a declared type that `accepted` does not match,
 * or none where `accepted` needs one (`contentType` undefined and `required`), is a 415 saying
 * what to send.
 * @example requireMediaType(req.header('content-type'), JSON_MEDIA_TYPE, 'send the body as JSON with Content-Type: application/json')
 */
export function requireMediaType(contentType: string | undefined, accepted: RegExp, suggestion: string, required = false): void {
  if (contentType === undefined ? !required : accepted.test(contentType)) return;
  const message = contentType === undefined ? 'the request body has no Content-Type' : `the request body is ${contentType}, which this endpoint does not take`;
  throw new BerthError(415, 'UnsupportedMediaType', message, { suggestion });
}
