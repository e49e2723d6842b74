// Typed build failures. They are terminal for the Build (retrying cannot fix them): the builder
// agent records `code`, `message` and `suggestion` in the Build's status.
import { TerminalError } from '../../errors.ts';

export class S2IError extends TerminalError {
  readonly code: string;
  readonly suggestion?: string;

  constructor(code: string, message: string, suggestion?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.suggestion = suggestion;
  }
}

export class BuilderImageNotFoundError extends S2IError {
  readonly image: string;
  constructor(image: string, cause: string) {
    super('BuilderImageNotFound', `builder image "${image}" was not found: ${cause}`, 'check the image name and tag, and that the registry holding it answers');
    this.image = image;
  }
}

export class BuilderUserError extends S2IError {
  constructor(image: string, user: string) {
    super(
      'BuilderImageUser',
      `builder image "${image}" runs as ${user ? `"${user}"` : 'root'}; builds run only as a numeric non-root user`,
      'set a numeric USER (e.g. USER 1001) in the builder image',
    );
  }
}

export class ScriptsNotFoundError extends S2IError {
  constructor(missing: string[], where: string) {
    super('ScriptsNotFound', `no ${missing.join(', ')} script found (${where})`, 'add .s2i/bin/assemble and .s2i/bin/run to the source, or use a builder image labelled io.openshift.s2i.scripts-url');
  }
}

/** The assemble script failed; `lines` are the last lines of its output. */
export class AssembleFailedError extends S2IError {
  readonly lines: string[];
  readonly exitCode: number;
  constructor(exitCode: number, lines: string[], suggestion?: string) {
    super(
      'AssembleFailed',
      `assemble failed with exit code ${exitCode}; its last ${lines.length} lines:\n${lines.join('\n')}`,
      suggestion ?? 'read the build log; the last lines above say what the assemble script tripped on',
    );
    this.exitCode = exitCode;
    this.lines = lines;
  }
}

export class CommitFailedError extends S2IError {
  constructor(tag: string, cause: string) {
    super('CommitFailed', `could not commit the image ${tag}: ${cause}`);
  }
}

/** The error an aborted build throws (like fetch with an aborted signal). */
export function abortError(): DOMException {
  return new DOMException('the build was cancelled', 'AbortError');
}
