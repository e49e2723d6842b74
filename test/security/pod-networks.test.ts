// Attack: a stranger's pod looks for another project's pods on the local fleet — by their
// addresses, and by scanning its own subnet — and finds none; a pod of the same project reaches
// its sibling; the router (on the host, through ports published on 127.0.0.1) reaches every
// pod. Each project has a bridge network of its own on the engine; the kernel does not forward
// between bridges (net.ipv4.ip_forward=0, dockerd --ip-forward=false --iptables=false).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods, removeOwnedContainers } from '../../shared/fleet/docker-pods.ts';
import type { PodSpecForHost, RunningPod } from '../../shared/fleet/types.ts';
import { addressOf, openFrom, subnet24, targets } from './net-probe.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const owner = `sec-net-${tag}`;
const pods = new DockerPods(docker, { owner });
const victim = `victim-${tag}`;
const stranger = `stranger-${tag}`;
let image = '';

function pod(project: string, name: string): PodSpecForHost {
  return {
    project,
    deployment: 'web',
    revision: 1,
    pod: name,
    image,
    env: [],
    ports: [{ containerPort: 8080 }],
    resources: { cpuMilli: 100, memoryBytes: 64 * 1024 * 1024 },
    command: ['python3', '-m', 'http.server', '8080'],
  };
}

async function serving(p: RunningPod): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${p.hostPorts[0]!.hostPort}/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

let v1: RunningPod, v2: RunningPod, s1: RunningPod;

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  v1 = await pods.ensurePod(pod(victim, 'web-1-aaaaa'));
  v2 = await pods.ensurePod(pod(victim, 'web-1-bbbbb'));
  s1 = await pods.ensurePod(pod(stranger, 'web-1-ccccc'));
  await Promise.all([v1, v2, s1].map(serving));
}, 600_000);

afterAll(async () => {
  await removeOwnedContainers(docker, owner);
});

describe("a stranger's pod and the victim's pods", () => {
  it('the kernel forwards nothing between bridges (the premise of the isolation)', () => {
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('0');
  });

  it("a pod of the same project reaches its sibling's serving port by address", async () => {
    const sibling = await addressOf(docker, v1.containerId);
    expect(await openFrom(docker, v2.containerId, [{ host: sibling.ip, port: 8080 }])).toEqual([`${sibling.ip}:8080`]);
  });

  it("the stranger's pod reaches no pod of the victim's project by its address", async () => {
    const victims = await Promise.all([v1, v2].map((p) => addressOf(docker, p.containerId)));
    expect(await openFrom(docker, s1.containerId, targets(victims.map((v) => v.ip), [8080]))).toEqual([]);
  });

  it("the stranger's pod, scanning its own subnet, finds no pod but itself", async () => {
    const me = await addressOf(docker, s1.containerId);
    const found = await openFrom(docker, s1.containerId, targets(subnet24(me.ip), [8080]));
    expect(found).toEqual([`${me.ip}:8080`]);
  });

  it('the two projects are on two networks of their own, labelled with their project and owner', async () => {
    const [a, b, c] = await Promise.all([v1, v2, s1].map((p) => addressOf(docker, p.containerId)));
    expect(a!.network).toBe(b!.network);
    expect(c!.network).not.toBe(a!.network);
    const net = await docker.getNetwork(a!.network).inspect();
    expect(net.Labels).toMatchObject({ 'berth.io/managed': 'true', 'berth.io/project': victim, 'berth.io/owner': owner });
    expect(net.Driver).toBe('bridge');
  });

  it("the router's side, the host, reaches every pod through its port on 127.0.0.1", async () => {
    for (const p of [v1, v2, s1]) {
      expect(p.hostPorts[0]!.hostIp).toBe('127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${p.hostPorts[0]!.hostPort}/`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });

  it("the project's network goes with its last pod, and another owner's network of the same project is left alone", async () => {
    const other = new DockerPods(docker, { owner: `${owner}-2` });
    const theirs = await other.ensurePod(pod(victim, 'web-1-ddddd'));
    const mine = (await addressOf(docker, v1.containerId)).network;
    const them = (await addressOf(docker, theirs.containerId)).network;
    expect(them).not.toBe(mine);
    await pods.removePod(victim, 'web-1-aaaaa');
    expect((await docker.getNetwork(mine).inspect()).Name).toBe(mine);
    await pods.removePod(victim, 'web-1-bbbbb');
    await expect(docker.getNetwork(mine).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await docker.getNetwork(them).inspect()).Name).toBe(them);
    await other.removePod(victim, 'web-1-ddddd');
    await expect(docker.getNetwork(them).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
