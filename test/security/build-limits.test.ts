// Attack: a stranger's build takes more than its share of the shared build engine — memory, time,
// log space — or runs its own Dockerfile (root, on the shared engine) without a cluster admin's
// leave. Each build step runs under the platform's limits and fails when it goes past them; a log
// past its limit is cut with a note; Dockerfile builds are refused at the API and by the agent
// until a cluster admin allows them for the project, which a project admin cannot do.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runBuild, type AgentDeps } from '../../shared/builds/agent.ts';
import { ALLOW_DOCKER_BUILDS } from '../../shared/builds/admission.ts';
import type { Build } from '../../shared/builds/instantiate.ts';
import { buildSettings } from '../../shared/builds/settings.ts';
import type { ObjectRef } from '../../shared/model/types.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { agentDeps, buildSuite, docker } from '../builds/support.ts';
import { makeTar } from '../builds/tar-fixtures.ts';
import { storedBuild, stranger } from './build-support.ts';

const suite = buildSuite('test');
const P = `mallory-lim-${randomBytes(3).toString('hex')}`;
let api: TestApi;
let token: string;

/** A binary build whose source overrides assemble with `script`, then runs the builder's own. */
async function hostileBuild(deps: AgentDeps, name: string, script: string): Promise<{ phase?: string; build: Build; log: string; ref: ObjectRef }> {
  const ref = await storedBuild(api.store, P, name, {
    source: { binary: {} },
    strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: suite.builder }, env: [], incremental: false } },
  });
  const tar = await makeTar([
    { name: 'app.py', body: 'print("hi")\n' },
    { name: '.s2i/bin/assemble', body: `#!/bin/sh\n${script}\nexec /usr/libexec/s2i/assemble\n`, mode: 0o755 },
  ]);
  await deps.sources.put(ref, Readable.from(tar), 1 << 20);
  const phase = await runBuild(deps, ref);
  return { phase, build: (await api.store.get<Build>(ref))!, log: (await deps.logs.read(ref, 0)).text, ref };
}

/** The project's PUT body with Dockerfile builds allowed. */
async function allowing(as: string): Promise<unknown> {
  const project = (await api.call('GET', `/api/v1/projects/${P}`, as)).body;
  const { resourceVersion, labels, annotations } = project.metadata;
  return { metadata: { name: P, resourceVersion, labels, annotations: { ...annotations, [ALLOW_DOCKER_BUILDS]: 'true' } }, spec: project.spec };
}

beforeAll(async () => {
  api = await testApi();
  token = await stranger(api, 'mallory', P);
});

describe('build steps run under the platform\'s limits', () => {
  it('an assemble step that allocates past the memory limit is killed and the build fails', async () => {
    const deps = agentDeps(api.store, inject('registryHost'), { settings: buildSettings({ PAAS_BUILD_MEMORY_MB: '128' }) });
    const { phase, build, log } = await hostileBuild(deps, 'hog', 'set -e; python3 -c "b = bytearray(700 * 1024 * 1024); b[::4096] = b\'x\' * len(b[::4096]); print(\'allocated\', len(b))"');
    expect(phase, `${JSON.stringify(build.status)}\n${log}`).toBe('Failed');
    expect(log).toContain('Killed');
    expect(log).not.toContain('allocated');
  }, 300_000);

  it('a build past the time limit fails with DeadlineExceeded, promptly', async () => {
    const deps = agentDeps(api.store, inject('registryHost'), { settings: buildSettings({ PAAS_BUILD_TIMEOUT_SECONDS: '3' }) });
    const started = Date.now();
    const { phase, build } = await hostileBuild(deps, 'sleeper', 'sleep 120');
    expect(phase).toBe('Failed');
    expect(build.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(Date.now() - started).toBeLessThan(60_000);
    // The step container went with it.
    const left = await docker.listContainers({ all: true, filters: { label: [`berth.io/build-step-project=${P}`, `berth.io/build-step-build=${build.metadata.name}`] } });
    expect(left).toEqual([]);
  }, 90_000);

  it('a log past its limit is cut there with a note', async () => {
    const limit = 20_000;
    const deps = agentDeps(api.store, inject('registryHost'), { settings: buildSettings({ PAAS_BUILD_LOG_BYTES: String(limit) }) });
    const { log } = await hostileBuild(deps, 'chatty', 'yes "flooding the shared log store with this line" | head -n 20000');
    expect(Buffer.byteLength(log)).toBeLessThan(limit + 200);
    expect(log).toContain('the log was cut here');
  }, 300_000);
});

describe('Dockerfile builds are a cluster admin\'s to allow', () => {
  const dockerBc = (name: string) => ({
    metadata: { name },
    spec: { source: { binary: {} }, strategy: { type: 'Docker', dockerStrategy: {} }, output: { to: { kind: 'ImageStreamTag', name: `${name}:latest` } } },
  });

  it('the API refuses a Docker-strategy BuildConfig in a project not allowed them', async () => {
    const res = await api.call('POST', `/api/v1/projects/${P}/buildconfigs`, token, dockerBc('root'));
    expect(res.status).toBe(403);
    expect(res.body.message).toContain(ALLOW_DOCKER_BUILDS);
    expect((await api.call('GET', `/api/v1/projects/${P}/buildconfigs/root`, token)).status).toBe(404);
  });

  it('the project\'s own admin cannot allow them', async () => {
    const res = await api.call('PUT', `/api/v1/projects/${P}`, token, await allowing(token));
    expect(res.status).toBe(403);
    expect((await api.call('GET', `/api/v1/projects/${P}`, token)).body.metadata.annotations?.[ALLOW_DOCKER_BUILDS]).toBeUndefined();
    const own = await api.call('POST', '/api/v1/projects', token, { metadata: { name: `${P}-x`, annotations: { [ALLOW_DOCKER_BUILDS]: 'true' } } });
    expect(own.status).toBe(403);
  });

  it('the builder agent refuses a Docker-strategy Build of a project not allowed them, before building anything', async () => {
    const deps = agentDeps(api.store, inject('registryHost'), { settings: buildSettings({}) });
    const ref = await storedBuild(api.store, P, 'sneaky', { source: { binary: {} }, strategy: { type: 'Docker', dockerStrategy: { dockerfilePath: 'Dockerfile', buildArgs: [], noCache: false, env: [] } } });
    await deps.sources.put(ref, Readable.from(await makeTar([{ name: 'Dockerfile', body: 'FROM scratch\nLABEL x=y\n' }])), 1 << 20);
    expect(await runBuild(deps, ref)).toBe('Failed');
    expect((await api.store.get<Build>(ref))!.status).toMatchObject({ reason: 'DockerBuildsNotAllowed' });
    await expect(docker.getImage(`${inject('registryHost')}/${P}/sneaky:latest`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('once a cluster admin allows them, the project may have a Docker-strategy BuildConfig', async () => {
    const allowed = await api.call('PUT', `/api/v1/projects/${P}`, api.adminToken, await allowing(api.adminToken));
    expect(allowed.status).toBe(200);
    expect((await api.call('POST', `/api/v1/projects/${P}/buildconfigs`, token, dockerBc('allowed'))).status).toBe(201);
  });
});
