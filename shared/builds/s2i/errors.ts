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

/** The label naming where a builder image keeps its scripts (`image:///usr/libexec/s2i`). */
export const SCRIPTS_URL_LABEL = 'io.openshift.s2i.scripts-url';

export class ScriptsNotFoundError extends S2IError {
  constructor(missing: string[], where: string, image?: string) {
    super(
      'ScriptsNotFound',
      image && where === ''
        ? `builder image "${image}" is not an S2I builder: it has no ${SCRIPTS_URL_LABEL} label, and the source has no .s2i/bin/${missing.join(', .s2i/bin/')}`
        : `no ${missing.join(', ')} script found (${where})`,
      `use an S2I builder image (one labelled ${SCRIPTS_URL_LABEL}, with /usr/bin/env), or add .s2i/bin/assemble and .s2i/bin/run to the source`,
    );
  }
}

/** The builder image cannot run S2I scripts: `what` says what it lacks. */
export class NotS2IBuilderError extends S2IError {
  constructor(image: string, what: string) {
    super('NotS2IBuilder', `builder image "${image}" is not an S2I builder: ${what}`, `use an S2I builder image: /usr/bin/env, and the assemble and run scripts where its ${SCRIPTS_URL_LABEL} label says`);
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
