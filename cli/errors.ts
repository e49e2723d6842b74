// The one error type commands throw: a one-line message, an optional one-line hint and the exit
// code. `run` prints it as `error: …` / `hint: …`; nothing else reaches the user as a stack trace.
import type { Io } from './io.ts';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  readonly hint?: string;
  readonly exitCode: number;
  /** The HTTP status when the error came from the API. */
  readonly status?: number;
  /** The API's machine code (`NotFound`, `Conflict`, …) when there was one. */
  readonly code?: string;

  constructor(message: string, hint?: string, opts: { exitCode?: number; status?: number; code?: string } = {}) {
    super(message);
    this.name = 'CliError';
    this.hint = hint;
    this.exitCode = opts.exitCode ?? EXIT_FAILURE;
    this.status = opts.status;
    this.code = opts.code;
  }

  /** Ends the run with `exitCode` and prints nothing (a remote command's own exit code). */
  static exit(exitCode: number): CliError {
    return new CliError('', undefined, { exitCode });
  }

  /** The same error with a hint, unless it already has one. */
  withHint(hint: string): CliError {
    if (this.hint) return this;
    return new CliError(this.message, hint, { exitCode: this.exitCode, status: this.status, code: this.code });
  }
}

export const loginHint = (server = 'URL'): string => `log in with \`berth login ${server} --username U --password P\``;

/** One line, whatever the source said: errors are printed as exactly one line each. */
export const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();

/** A 404 gets a hint naming the command that lists what exists (`berth get <plural>`). */
export async function orListHint<T>(plural: 'builds' | 'buildconfigs' | 'dc' | 'pods' | 'secrets' | 'configmaps', project: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof CliError && err.status === 404) throw err.withHint(`list them with \`berth get ${plural} -n ${project}\``);
    throw err;
  }
}

/** Prints what went wrong as `error: …` and `hint: …` lines; the exit code of the run. */
export function reportFailure(io: Pick<Io, 'stderr'>, err: unknown): number {
  const e = err instanceof CliError ? err : new CliError(oneLine((err as Error)?.message ?? String(err)), 'this looks like a bug in berth; please report it');
  if (e.message) reportError(io, e.message, e.hint);
  return e.exitCode;
}

export function reportError(io: Pick<Io, 'stderr'>, message: string, hint: string | undefined): void {
  io.stderr.write(`error: ${oneLine(message)}\n`);
  if (hint) io.stderr.write(`hint: ${oneLine(hint)}\n`);
}
