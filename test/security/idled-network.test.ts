// Attack: an idled project keeps its network and its Services' proxies on the engine (so that a
// wake starts at once), with no pod on it. A stranger (a tenant who signed up a minute ago), from
// a pod of their own, looks for what is left there — the victim's Service names, its cluster IP
// and whole Service range, the address its last pod had, the warm sandbox kept for its wake —
// and reaches nothing; woken, the project keeps all of it until its pod is back, and the
// victim's own woken pod comes back to the same network and proxy (in the warm sandbox) and
// reaches its Service; once the victim's project is deleted (as expiry
// does), its network, proxies and sandbox are gone from the engine.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminatePod } from '../../shared/deploy/pods.ts';
import { proxyContainerName } from '../../shared/fleet/docker-service-proxies.ts';
import { SANDBOX_LABEL } from '../../shared/fleet/docker-sandboxes.ts';
import { podContainerName, LABELS } from '../../shared/fleet/pod-container.ts';
import { projectNetworkName } from '../../shared/fleet/project-network.ts';
import { idleDeploymentConfig, unidleDeploymentConfig } from '../../shared/idling/actions.ts';
import type { Pod, Service } from '../../shared/model/objects.ts';
import { serviceIPs } from '../../shared/services/addressing.ts';
import { projectAddressings } from '../../shared/services/cluster-ips.ts';
import { docker, startServiceHarness, until, type ServiceHarness } from '../fleet/service-harness.ts';
import { openFrom, targets } from './net-probe.ts';

const tag = randomBytes(3).toString('hex');
const V = `idled-${tag}`;
const S = `stranger-${tag}`;
let h: ServiceHarness;
let victim = '';
let db: Service;
let network = '';
let networkId = '';
let proxyId = '';
let lastPodIP = '';
let sandboxId = '';
let sandboxIP = '';

const pod = (project: string, name: string) => h.api.store.get<Pod>({ kind: 'Pod', project, name });
const running = (project: string, name: string) => until(`${name} running`, async () => (await pod(project, name))?.status?.phase === 'Running');
const podContainers = async (project: string) => (await docker.listContainers({ all: true, filters: { label: [`${LABELS.project}=${project}`, `${LABELS.managed}=true`] } })).length;
const networkIds = async () => (await docker.listNetworks({ filters: { name: [network] } })).filter((n) => n.Name === network).map((n) => n.Id);
const sandboxesOf = async (project: string) => docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=${h.networkOwner}`, `${LABELS.project}=${project}`] } });
const proxyOf = async () => docker.getContainer(proxyContainerName(V, 'db', h.networkOwner)).inspect().catch(() => undefined);

beforeAll(async () => {
  h = await startServiceHarness();
  victim = await h.project(V);
  const stranger = await h.project(S);
  expect(stranger).not.toBe('');
  db = await h.service(victim, V, 'db', { selector: { app: 'db' }, ports: [{ port: 80, targetPort: 8080 }] });
  // The victim's DC (its pods are made by hand here: this harness runs no deploy reconcilers).
  const dc = { metadata: { name: 'db' }, spec: { replicas: 1, selector: { app: 'db' }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: h.image }] } } } };
  expect((await h.api.call('POST', `/api/v1/projects/${V}/deploymentconfigs`, victim, dc)).status).toBe(201);
  await h.pod(V, 'db-1', { labels: { app: 'db' }, who: 'victim-db' });
  await h.pod(S, 'spy', { command: ['sleep', '3600'] });
  await Promise.all([running(V, 'db-1'), running(S, 'spy')]);
  network = projectNetworkName(V, h.networkOwner);
  lastPodIP = (await docker.getContainer(podContainerName(V, 'db-1')).inspect()).NetworkSettings.Networks[network]!.IPAddress;
  await until("the victim's proxy up", async () => {
    await h.endpoints(V);
    return (await proxyOf())?.State.Running;
  });
  networkId = (await networkIds())[0]!;
  proxyId = (await proxyOf())!.Id;

  // Idled: scaled to 0 and its only pod gone from the engine.
  await idleDeploymentConfig(h.api.store, { kind: 'DeploymentConfig', project: V, name: 'db' }, Date.now(), 'quiet');
  await terminatePod(h.api.store, (await pod(V, 'db-1'))!);
  h.agent.kick({ project: V, name: 'db-1' });
  await until('no pod of the idled project on the engine', async () => (await podContainers(V)) === 0);
  await h.endpoints(V);
  // A few passes of the host agent, which would have removed them if they were not kept.
  for (let i = 0; i < 3; i++) await h.agent.sync();
}, 600_000);

afterAll(async () => {
  await h?.stop();
});

describe("an idled project's kept network", () => {
  it('is still there with its proxy, and nothing of a pod runs on it', async () => {
    expect(await networkIds()).toEqual([networkId]);
    const proxy = await proxyOf();
    expect(proxy?.Id).toBe(proxyId);
    expect(proxy?.State.Running).toBe(true);
    expect(await podContainers(V)).toBe(0);
    // The warm sandbox kept for the wake: a sleeping container on the network, not a pod, publishing nothing.
    // (made by the host agent beside its passes: a moment after the last pod went, it runs)
    await until('the warm sandbox running', async () => (await sandboxesOf(V)).some((c) => c.State === 'running'));
    const [sandbox, ...more] = await sandboxesOf(V);
    expect(more).toEqual([]);
    expect(sandbox).toMatchObject({ State: 'running', Command: 'sleep infinity', Ports: [] });
    expect(sandbox!.Labels).not.toHaveProperty(LABELS.pod);
    sandboxId = sandbox!.Id;
    sandboxIP = sandbox!.NetworkSettings.Networks[network]!.IPAddress;
    expect(sandboxIP).not.toBe('');
    const dc = (await h.api.call('GET', `/api/v1/projects/${V}/deploymentconfigs/db`, victim)).body;
    expect(dc.spec.replicas).toBe(0);
  });

  it("is reached from no stranger's pod: not its Service names, not its Service range, not its last pod's address, not its warm sandbox", async () => {
    const spy = podContainerName(S, 'spy');
    for (const name of ['db', `db.${V}.svc`]) expect((await h.run(S, 'spy', ['sh', '-c', `timeout 5 getent hosts ${name} || echo none`])).trim()).toBe('none');
    const range = serviceIPs(await projectAddressings(h.api.store)(V));
    expect(range).toContain(db.spec.clusterIP);
    expect(await openFrom(docker, spy, targets([...range, lastPodIP, sandboxIP], [80, 8080]))).toEqual([]);
  });

  it("takes the victim's woken pod back: same network, same proxy, in its warm sandbox; its Service answers it", async () => {
    // Woken: the DC is no longer idled, its Service still is until it is served again. The host
    // agent's passes before the woken pod starts tear down none of what the wake is to find.
    await unidleDeploymentConfig(h.api.store, { kind: 'DeploymentConfig', project: V, name: 'db' }, Date.now(), 'a request');
    for (let i = 0; i < 3; i++) await h.agent.sync();
    expect(await networkIds()).toEqual([networkId]);
    expect((await proxyOf())?.Id).toBe(proxyId);
    expect((await sandboxesOf(V)).map((c) => [c.Id, c.State])).toEqual([[sandboxId, 'running']]);
    await h.pod(V, 'db-2', { labels: { app: 'db' }, who: 'victim-db-2' });
    await running(V, 'db-2');
    expect((await docker.getContainer(podContainerName(V, 'db-2')).inspect()).HostConfig.NetworkMode).toBe(`container:${sandboxId}`);
    expect((await pod(V, 'db-2'))!.status.podIP).toBe(sandboxIP);
    expect(await networkIds()).toEqual([networkId]);
    expect((await proxyOf())?.Id).toBe(proxyId);
    const answers = await until('the Service answering the woken pod', async () => {
      await h.endpoints(V);
      const out = await h.fetchFrom(V, 'db-2', ['http://db/']);
      return out[0] === 'victim-db-2' && out;
    });
    expect(answers).toEqual(['victim-db-2']);
    // The probe sees an open port where there is one: the stranger's empty answer above is not the probe's blindness.
    expect(await openFrom(docker, podContainerName(V, 'db-2'), [{ host: db.spec.clusterIP!, port: 80 }])).toEqual([`${db.spec.clusterIP}:80`]);
  });

  it('goes with the project: idled again and deleted (as expiry does), its network, proxy and sandboxes leave the engine', async () => {
    await idleDeploymentConfig(h.api.store, { kind: 'DeploymentConfig', project: V, name: 'db' }, Date.now(), 'quiet');
    await terminatePod(h.api.store, (await pod(V, 'db-2'))!);
    h.agent.kick({ project: V, name: 'db-2' });
    await until('no pod of the idled project on the engine', async () => (await podContainers(V)) === 0);
    await h.agent.sync();
    expect(await networkIds()).toEqual([networkId]);
    // The woken pod's sandbox went with it; a new warm one waits for the next wake.
    expect((await sandboxesOf(V)).map((c) => c.Id)).not.toContain(sandboxId);
    expect(await sandboxesOf(V)).toHaveLength(1);
    expect((await h.api.call('DELETE', `/api/v1/projects/${V}`, victim)).status).toBeLessThan(300);
    await until('the network and the proxy gone', async () => {
      await h.agent.sync();
      return (await networkIds()).length === 0 && (await proxyOf()) === undefined;
    });
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABELS.project}=${V}`] } })).toEqual([]);
  });
});
