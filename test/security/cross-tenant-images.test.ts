// Attack: a stranger runs or builds from another project's image in the platform registry — by
// its name, by another spelling of the registry's address (localhost for 127.0.0.1), or by an
// image the shared engine already holds in its cache. The API refuses each with a 422 naming the
// field; the host side of pods refuses to start such a pod even when the image is in the cache;
// the builder agent refuses such a builder image. A project's own images, the platform's shared
// builder images and public images stay usable.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBuild } from '../../shared/builds/agent.ts';
import { DENY_LOCAL } from '../../shared/builds/git-source.ts';
import type { Build } from '../../shared/builds/instantiate.ts';
import { buildSettings } from '../../shared/builds/settings.ts';
import { DockerPods } from '../../shared/fleet/docker-pods.ts';
import { podContainerName } from '../../shared/fleet/pod-container.ts';
import { GIT_IMAGE, ensureGitImage } from '../../images/git.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { agentDeps, docker } from '../builds/support.ts';
import { storedBuild, stranger } from './build-support.ts';

const suffix = randomBytes(3).toString('hex');
const VICTIM = `victim-${suffix}`;
const MALLORY = `mallory-${suffix}`;
let api: TestApi;
let token: string;
let registry: string;
/** The victim's image, present in the shared engine's cache (as after the victim's own pod ran). */
let victimImage: string;

const dc = (image: string, name = 'web') => ({
  metadata: { name },
  spec: { selector: { app: name }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } }, triggers: [] },
});
const bc = (image: string, name = 'app') => ({
  metadata: { name },
  spec: {
    source: { git: { uri: 'https://git.example.com/me/app.git' } },
    strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: image } } },
    output: { to: { kind: 'ImageStreamTag', name: `${name}:latest` } },
  },
});

beforeAll(async () => {
  registry = inject('registryHost');
  api = await testApi({ buildPolicy: { git: DENY_LOCAL, registry: { host: registry, prefix: '', shared: ['berth'] } } });
  await stranger(api, 'victor', VICTIM);
  token = await stranger(api, 'mallory', MALLORY);
  await ensureGitImage(docker);
  victimImage = `${registry}/${VICTIM}/web:cached`;
  await docker.getImage(GIT_IMAGE).tag({ repo: `${registry}/${VICTIM}/web`, tag: 'cached' });
}, 600_000);

afterAll(async () => {
  await docker.getImage(victimImage).remove({ force: true }).catch(() => undefined);
});

describe('the API refuses another project\'s images', () => {
  it.each([
    ['by name', () => `${registry}/${VICTIM}/web:latest`],
    ['by digest', () => `${registry}/${VICTIM}/web@sha256:${'a'.repeat(64)}`],
    ['through localhost', () => `localhost:${registry.split(':')[1]}/${VICTIM}/web:latest`],
    ['through another loopback spelling', () => `127.1:${registry.split(':')[1]}/${VICTIM}/web:latest`],
  ])('a DeploymentConfig naming it %s is a 422 naming the container\'s image', async (_, image) => {
    const res = await api.call('POST', `/api/v1/projects/${MALLORY}/deploymentconfigs`, token, dc(image()));
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'spec.template.spec.containers[0].image' })]);
    expect((await api.call('GET', `/api/v1/projects/${MALLORY}/deploymentconfigs/web`, token)).status).toBe(404);
  });

  it('a BuildConfig building from it is a 422 naming the builder image', async () => {
    const res = await api.call('POST', `/api/v1/projects/${MALLORY}/buildconfigs`, token, bc(`${registry}/${VICTIM}/web:latest`));
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'spec.strategy.sourceStrategy.from.name' })]);
  });

  it('an ImageStream tag importing it is a 422', async () => {
    const res = await api.call('POST', `/api/v1/projects/${MALLORY}/imagestreams`, token, {
      metadata: { name: 'stolen' },
      spec: { tags: [{ name: 'latest', from: { kind: 'DockerImage', name: `${registry}/${VICTIM}/web:latest` } }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'spec.tags[0].from.name' })]);
  });

  it('changing an accepted DeploymentConfig to the victim\'s image is a 422 and changes nothing', async () => {
    const made = await api.call('POST', `/api/v1/projects/${MALLORY}/deploymentconfigs`, token, dc(`${registry}/${MALLORY}/web:latest`, 'own'));
    expect(made.status).toBe(201);
    const changed = { ...dc(`${registry}/${VICTIM}/web:latest`, 'own'), metadata: { name: 'own', resourceVersion: made.body.metadata.resourceVersion } };
    expect((await api.call('PUT', `/api/v1/projects/${MALLORY}/deploymentconfigs/own`, token, changed)).status).toBe(422);
    const now = await api.call('GET', `/api/v1/projects/${MALLORY}/deploymentconfigs/own`, token);
    expect(now.body.spec.template.spec.containers[0].image).toBe(`${registry}/${MALLORY}/web:latest`);
  });

  it.each([
    ['its own image', () => `${registry}/${MALLORY}/web:latest`],
    ['the platform\'s shared builder image', () => `${registry}/berth/python:3.11`],
    ['a public image', () => 'python:3.11'],
    ['a public image of another registry', () => 'quay.io/someone/tool:1.0'],
  ])('%s is accepted', async (_, image) => {
    const name = `ok-${randomBytes(3).toString('hex')}`;
    expect((await api.call('POST', `/api/v1/projects/${MALLORY}/deploymentconfigs`, token, dc(image(), name))).status).toBe(201);
    expect((await api.call('POST', `/api/v1/projects/${MALLORY}/buildconfigs`, token, bc(image(), name))).status).toBe(201);
  });
});

describe('where the image is pulled', () => {
  it('the host refuses to start a pod of one project from another project\'s image, even one in its cache', async () => {
    const pods = new DockerPods(docker, { owner: `sec-${suffix}`, images: { host: registry, prefix: '', shared: ['berth'] } });
    const pod = 'web-1-steal';
    await expect(pods.ensurePod({
      project: MALLORY, deployment: 'web', revision: 1, pod, image: victimImage, env: [], ports: [],
      resources: { cpuMilli: 100, memoryBytes: 64 * 2 ** 20 }, command: ['cat', '/etc/hostname'],
    })).rejects.toMatchObject({ status: 403, code: 'ImageNotAllowed' });
    const made = await docker.getContainer(podContainerName(MALLORY, pod)).inspect().catch(() => undefined);
    expect(made).toBeUndefined();
  });

  it('the builder agent refuses a Build whose builder image is another project\'s', async () => {
    const deps = agentDeps(api.store, registry, { settings: buildSettings({}) });
    const ref = await storedBuild(api.store, MALLORY, 'steal', {
      source: { binary: {} },
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: victimImage }, env: [], incremental: false } },
    });
    expect(await runBuild(deps, ref)).toBe('Failed');
    const b = (await api.store.get<Build>(ref))!;
    expect(b.status).toMatchObject({ phase: 'Failed', reason: 'InvalidBuildSpec' });
    expect(b.status.message).toContain('another project');
  });
});
