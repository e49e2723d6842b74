// Fetches a build's source onto local disk: a git clone of uri@ref (and the exact commit when a
// webhook named one), or the archive uploaded with a binary build.
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalError } from '../errors.ts';
import type { BuildSpec } from '../model/build-kinds.ts';

export class SourceError extends TerminalError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function git(args: string[], cwd: string | undefined, log: (l: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', (e) => reject(new SourceError('FetchSourceFailed', `git could not run: ${e.message}`)));
    child.once('exit', (code) => {
      if (code === 0) return resolve(out.trim());
      for (const l of err.trim().split('\n')) if (l) log(l);
      reject(new SourceError('FetchSourceFailed', `git ${args[0]} failed: ${err.trim().split('\n').pop() ?? `exit ${code}`}`));
    });
  });
}

export interface FetchedSource {
  dir: string;
  commit?: string;
}

/** Clones the build's git source into a new temporary directory. */
export async function cloneSource(spec: BuildSpec, log: (l: string) => void): Promise<FetchedSource> {
  const repo = spec.source.git!;
  const dir = await mkdtemp(join(tmpdir(), 'berth-src-'));
  log(`Cloning "${repo.uri}"${repo.ref ? ` at ${repo.ref}` : ''} ...`);
  const args = ['clone', '--quiet', '--no-tags'];
  if (repo.ref && !spec.revision?.commit) args.push('--depth', '1', '--branch', repo.ref);
  else if (repo.ref) args.push('--branch', repo.ref);
  await git([...args, '--', repo.uri, dir], undefined, log);
  if (spec.revision?.commit) await git(['checkout', '--quiet', spec.revision.commit], dir, log);
  const commit = await git(['rev-parse', 'HEAD'], dir, log);
  const subject = await git(['log', '-1', '--format=%an: %s'], dir, log);
  log(`Commit: ${commit.slice(0, 12)} (${subject})`);
  return { dir, commit };
}

export function contextOf(root: string, contextDir: string | undefined): string {
  return contextDir ? join(root, contextDir) : root;
}
