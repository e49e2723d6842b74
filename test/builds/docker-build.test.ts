// The Docker strategy against real Docker: a Dockerfile with build args is built and tagged;
// a failing step, a missing Dockerfile and a path leaving the context fail with typed errors.
import { describe, expect, it } from 'vitest';
import { DockerBuildFailedError, dockerfileBuild } from '../../shared/builds/docker-build.ts';
import { appSource, buildSuite, docker, runOnce } from './support.ts';

const suite = buildSuite();

async function dockerBuild(files: Record<string, string>, extra: Partial<Parameters<typeof dockerfileBuild>[1]> = {}) {
  const lines: string[] = [];
  const tag = suite.tag('dockerfile');
  const result = await dockerfileBuild(docker, {
    contextDir: await appSource(undefined, files),
    dockerfilePath: 'Dockerfile',
    buildArgs: [],
    noCache: false,
    tag,
    log: (l) => lines.push(l),
    ...extra,
  }).catch((err: unknown) => err);
  return { result, lines, tag };
}

describe('dockerfileBuild', () => {
  it('builds a Dockerfile from a subdirectory with build args and tags the image', async () => {
    const { result, tag } = await dockerBuild(
      { 'docker/Dockerfile': `FROM ${'BUILDER'}\nARG GREETING=unset\nCOPY hello.txt /tmp/hello.txt\nLABEL greeting=$GREETING\n`.replace('BUILDER', suite.builder), 'hello.txt': 'hi\n' },
      { dockerfilePath: 'docker/Dockerfile', buildArgs: [{ name: 'GREETING', value: 'from a build arg' }], noCache: true },
    );
    expect(result).toMatchObject({ imageId: expect.stringMatching(/^sha256:/) });
    const info = await docker.getImage(tag).inspect();
    expect(info.Config.Labels?.greeting).toBe('from a build arg');
    expect((await runOnce(tag, ['cat', '/tmp/hello.txt'])).output).toBe('hi\n');
  }, 120_000);

  it('leaves out what .dockerignore lists, but still sends the Dockerfile', async () => {
    const { result, tag } = await dockerBuild({
      Dockerfile: `FROM ${suite.builder}\nCOPY . /tmp/ctx/\n`,
      '.dockerignore': 'Dockerfile\n**/*.log\nsecret\n',
      'app.py': '',
      'logs/debug.log': 'x',
      'secret/key': 'x',
    });
    // The build ran, so the Dockerfile was sent; COPY leaves it out, as Docker does when it is listed.
    expect(result).toMatchObject({ imageId: expect.any(String) });
    const { output } = await runOnce(tag, ['bash', '-c', 'cd /tmp/ctx && find . -type f | sort']);
    expect(output.trim().split('\n')).toEqual(['./.dockerignore', './app.py']);
  }, 120_000);

  it('a failing step fails with the build output', async () => {
    const { result } = await dockerBuild({ Dockerfile: `FROM ${suite.builder}\nRUN echo "about to fail" && exit 7\n` });
    expect(result).toBeInstanceOf(DockerBuildFailedError);
    expect(result).toMatchObject({ code: 'DockerBuildFailed' });
    expect((result as DockerBuildFailedError).lines.join('\n')).toContain('about to fail');
  }, 120_000);

  it.each([
    ['a missing Dockerfile', 'Dockerfile.missing', 'DockerfileNotFound'],
    ['a path leaving the context', '../Dockerfile', 'InvalidDockerfilePath'],
  ])('%s is refused', async (_what, dockerfilePath, code) => {
    const { result } = await dockerBuild({ 'app.py': '' }, { dockerfilePath });
    expect(result).toMatchObject({ code });
  });
});
