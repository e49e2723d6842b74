// What the builder agent holds of a build's source once fetched (git-fetch.ts clones in a
// container; an uploaded archive is unpacked by archive.ts), and the build's context directory
// in it, which must be a real directory inside the source: never a link that leads elsewhere.
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { TerminalError } from '../errors.ts';

export class SourceError extends TerminalError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FetchedSource {
  /** The source tree. */
  dir: string;
  /** What to remove afterwards, when not `dir` itself. */
  root?: string;
  commit?: string;
}

/**
 * The context directory of the build in the fetched source: `contextDir` resolved (links and
 * all) must stay inside the source and be a directory.
 * @example await contextDirOf('/tmp/berth-src-x/src', 'app') // '/tmp/berth-src-x/src/app'
 */
export async function contextDirOf(root: string, contextDir: string | undefined): Promise<string> {
  if (!contextDir) return root;
  const [base, real] = await Promise.all([realpath(root), realpath(join(root, contextDir)).catch(() => undefined)]);
  if (!real) throw new SourceError('InvalidContextDir', `contextDir "${contextDir}" is not in the source`);
  if (real !== base && !real.startsWith(base + sep)) throw new SourceError('InvalidContextDir', `contextDir "${contextDir}" is a link that leads outside the source`);
  if (!(await stat(real)).isDirectory()) throw new SourceError('InvalidContextDir', `contextDir "${contextDir}" is not a directory`);
  return real;
}
