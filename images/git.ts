// The source-fetch image of the local platform: Debian's git, CA certificates and the ssh
// client, made with mmdebstrap like the builder base. Builds clone their git source inside a
// container of it (shared/builds/git-fetch.ts), where the host's files are out of sight. On AWS
// the builder agent's own image (images/builder) has git and serves instead.
//   npx tsx images/git.ts
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Docker from 'dockerode';
import { dockerEngine } from '../shared/builds/s2i/docker.ts';
import { makeBase } from './base.ts';
import { withLock } from './lock.ts';
import { RECIPE_HASH_LABEL, SUITE } from './recipe.ts';

export const GIT_PACKAGES = ['git', 'ca-certificates', 'openssh-client'];
export const GIT_IMAGE = 'berth/git:bookworm';

const hash = createHash('sha256').update(`${SUITE}\n${GIT_PACKAGES.join('\n')}`).digest('hex').slice(0, 16);

/**
 * Makes sure the source-fetch image exists and matches its package list; returns its name.
 * @example const image = await ensureGitImage(docker, console.log);
 */
export async function ensureGitImage(docker: Docker, log: (line: string) => void = () => undefined): Promise<string> {
  const engine = dockerEngine(docker);
  const upToDate = async () => (await engine.inspectImage(GIT_IMAGE))?.labels[RECIPE_HASH_LABEL] === hash;
  if (await upToDate()) return GIT_IMAGE;
  return withLock(join(tmpdir(), 'berth-git-image.lock'), async () => {
    if (!(await upToDate())) await makeBase(engine, GIT_IMAGE, GIT_PACKAGES, { [RECIPE_HASH_LABEL]: hash }, log);
    return GIT_IMAGE;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureGitImage(new Docker({ socketPath: '/var/run/docker.sock' }), console.log).then(
    (image) => console.log(`made ${image}`),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
