// DockerPods with warm sandboxes against the real Docker Engine, when the engine changes under a
// start (each race made to happen by a client that acts at the racy moment): a pod whose claimed
// sandbox goes between its container's create and start fails that start and leaves nothing
// behind, and its next start runs it; a pod container made and never started (an agent stopped
// between the two) is not taken for the pod's container, and is replaced, not kept as its
// previous one; a warm sandbox claimed after the network's release listed it is not removed
// from under its pod.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages, ensureServiceProxyImage } from '../../images/build.ts';
import { DockerPods } from '../../shared/fleet/docker-pods.ts';
import { SANDBOX_LABEL, WarmSandboxes, claimedSandboxName } from '../../shared/fleet/docker-sandboxes.ts';
import { LABELS, podContainerName } from '../../shared/fleet/pod-container.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';
import { until } from '../support/until.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const project = `sbx-${tag}`;
const owner = `sbx-owner-${tag}`;
let image = '';
let proxyImage = '';

/** What the engine client does at a racy moment: after a pod container's create, after a listing of `afterList.owner`'s sandboxes. */
const hooks: { afterPodCreate?: () => Promise<void>; afterList?: { owner: string; run: () => Promise<void> } } = {};
const engine = new Proxy(docker, {
  get(target, key) {
    if (key === 'createContainer')
      return async (opts: Docker.ContainerCreateOptions) => {
        const made = await target.createContainer(opts);
        const hook = opts.Labels?.[LABELS.pod] ? hooks.afterPodCreate : undefined;
        hooks.afterPodCreate = undefined;
        await hook?.();
        return made;
      };
    if (key === 'listContainers')
      return async (opts: { filters?: { label?: string[] } }) => {
        const listed = await target.listContainers(opts);
        const hook = hooks.afterList;
        if (hook && opts.filters?.label?.includes(`${SANDBOX_LABEL}=${hook.owner}`)) {
          hooks.afterList = undefined;
          await hook.run();
        }
        return listed;
      };
    const v = Reflect.get(target, key);
    return typeof v === 'function' ? v.bind(target) : v;
  },
});
let pods: DockerPods;

const spec = (pod: string): PodSpecForHost => ({
  project,
  deployment: 'web',
  revision: 1,
  pod,
  image,
  env: [],
  ports: [{ containerPort: 8080 }],
  resources: { cpuMilli: 100, memoryBytes: 64 << 20 },
  command: ['python3', '-m', 'http.server', '8080'],
});
const named = async (name: string) => (await docker.listContainers({ all: true, filters: { name: [`^/${name}$`] } })).map((c) => c.State);
const warmOnes = async (of = owner) => (await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=${of}`, `${LABELS.project}=${project}`] } })).filter((c) => c.Names.some((n) => n.includes('__sandbox-')));

const warmRunning = (of = owner) => until('a warm sandbox running', async () => (await warmOnes(of)).some((c) => c.State === 'running'), 20_000);

beforeAll(async () => {
  [image, proxyImage] = await Promise.all([ensureBuilderImages(docker, { variant: 'test', log: () => {} }), ensureServiceProxyImage(docker, () => {})]);
  pods = new DockerPods(engine, { owner, sandboxes: { image: proxyImage } });
  // The project's first pod: its start makes the warm sandbox for the next one.
  await pods.ensurePod(spec('web-1-first'));
  await warmRunning();
}, 600_000);

afterAll(async () => {
  // No warm sandbox made after the clean-up (a start's rewarm comes a moment later).
  await pods?.networks.sandboxes?.stop();
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABELS.project}=${project}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  for (const n of await docker.listNetworks({ filters: { label: [`${LABELS.owner}=${owner}`] } })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
});

describe('a pod start that meets the engine changing under it', () => {
  it('whose claimed sandbox goes before its start: the start fails and leaves nothing; the next start runs the pod', async () => {
    const name = podContainerName(project, 'web-1-late');
    hooks.afterPodCreate = async () => {
      // The premise: the pod's container is made to join the sandbox it claimed, which now goes.
      expect((await docker.getContainer(name).inspect()).HostConfig.NetworkMode).toMatch(/^container:/);
      await docker.getContainer(claimedSandboxName(name)).remove({ force: true });
    };
    await expect(pods.ensurePod(spec('web-1-late'))).rejects.toThrow();
    expect(hooks.afterPodCreate).toBeUndefined();
    expect(await named(name)).toEqual([]);
    expect(await named(`${name}_previous`)).toEqual([]);
    expect(await pods.inspectPod(project, 'web-1-late')).toBeUndefined();

    const again = await pods.ensurePod(spec('web-1-late'));
    expect(again.state).toBe('running');
    expect(await named(name)).toEqual(['running']);
  });

  it('made and never started: not the pod running, and replaced (not kept as its previous container) by the next start', async () => {
    const name = podContainerName(project, 'web-1-half');
    const first = await pods.ensurePod(spec('web-1-half'));
    const info = await docker.getContainer(first.containerId).inspect();
    await docker.getContainer(first.containerId).remove({ force: true });
    // As an agent stopped between the create and the start leaves it.
    await docker.createContainer({ name, Image: info.Config.Image, Cmd: info.Config.Cmd, User: info.Config.User, Labels: info.Config.Labels, HostConfig: { NetworkMode: 'none' } });
    expect(await named(name)).toEqual(['created']);
    expect(await pods.inspectPod(project, 'web-1-half')).toBeUndefined();

    const started = await pods.ensurePod(spec('web-1-half'));
    expect(started.state).toBe('running');
    expect(await named(name)).toEqual(['running']);
    expect(await named(`${name}_previous`)).toEqual([]);
  });
});

describe('releasing warm sandboxes', () => {
  it('leaves one claimed after it was listed: its pod keeps its namespace', async () => {
    // Sandboxes of an owner of their own on the project's network: the pods' own (made a moment
    // after each start above) are not this listing's.
    const own = `${owner}-release`;
    const sandboxes = new WarmSandboxes(engine, { image: proxyImage, owner: own });
    const network = await pods.networks.ensure(project);
    await sandboxes.ensureWarm(project, network);
    await warmRunning(own);
    const [warm, ...more] = await warmOnes(own);
    expect([warm?.State, more]).toEqual(['running', []]);
    const claimedName = claimedSandboxName(podContainerName(project, 'web-1-claims'));
    // Between the release's listing and its removal, a pod's start claims the listed sandbox.
    hooks.afterList = { owner: own, run: async () => void (await docker.getContainer(warm!.Id).rename({ name: claimedName })) };
    await sandboxes.removeWarm(project);
    expect(hooks.afterList).toBeUndefined();
    expect(await named(claimedName)).toEqual(['running']);
    expect((await docker.getContainer(claimedName).inspect()).Id).toBe(warm!.Id);
  });
});
