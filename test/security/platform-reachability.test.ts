// Attack: tenant code — a pod, or a build step on the engine's default bridge — looks for the
// platform's own services (the state store, the registry, the API, the router) on every address
// of this machine it can reach: its gateway and the host's other addresses. It finds none: every
// platform listener is on loopback only, and DynamoDB Local, which has no bind-address option,
// runs in a network namespace of its own behind a loopback-only pipe. The control shows the scan
// does find a service that listens on every interface, as DynamoDB Local did.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods, removeOwnedContainers } from '../../shared/fleet/docker-pods.ts';
import { startUp, upPorts, type UpPorts, type UpProcess } from '../support/up.ts';
import { addressOf, hostAddresses, openFrom, targets } from './net-probe.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const owner = `sec-reach-${tag}`;
const home = mkdtempSync(join(tmpdir(), 'berth-sec-reach-'));
let up: UpProcess;
let ports: UpPorts;
let podId = '';
let stepId = '';
let control: Server;
let controlPort = 0;

/** The platform's ports: the `npm run up` under test and the test run's own engines. */
function platformPorts(): number[] {
  return [ports.api, ports.dynamo, ports.registry, ports.routerHttp, ports.routerHttps, Number(new URL(inject('dynamoEndpoint')).port), Number(inject('registryHost').split(':')[1])];
}

/** The listening TCP sockets on a port in this (the machine's) network namespace, as `address:port` (hex as /proc has them). */
function listenersOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[3] === '0A' && f[1]?.endsWith(`:${hexPort}`))
      .map((f) => f[1]!),
  );
}

beforeAll(async () => {
  const image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  ports = await upPorts();
  up = await startUp(home, ports);
  const pod = await new DockerPods(docker, { owner }).ensurePod({
    project: `tenant-${tag}`,
    deployment: 'web',
    revision: 1,
    pod: 'web-1-aaaaa',
    image,
    env: [],
    ports: [{ containerPort: 8080 }],
    resources: { cpuMilli: 100, memoryBytes: 64 * 1024 * 1024 },
    command: ['sleep', '600'],
  });
  podId = pod.containerId;
  // A Dockerfile build step's RUN runs on the engine's default bridge.
  const step = await docker.createContainer({ name: `berth-sec-step-${tag}`, Image: image, Cmd: ['sleep', '600'], Labels: { 'berth.io/managed': 'true', 'berth.io/owner': owner }, HostConfig: { CapDrop: ['ALL'] } });
  await step.start();
  stepId = step.id;
  control = createServer((c) => c.end());
  await new Promise<void>((resolve) => control.listen(0, '0.0.0.0', resolve));
  controlPort = (control.address() as { port: number }).port;
}, 600_000);

afterAll(async () => {
  control?.close();
  await removeOwnedContainers(docker, owner);
  await up?.stop();
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe("the platform's services, seen from tenant code", () => {
  it('every platform listener on this machine is on 127.0.0.1 only', () => {
    for (const port of platformPorts()) {
      const found = listenersOn(port);
      expect(found.length, `something listens on ${port}`).toBeGreaterThan(0);
      // 0100007F is 127.0.0.1 as /proc/net/tcp writes it.
      expect(found, `port ${port}`).toEqual(found.map(() => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`));
    }
  });

  it("a pod, scanning its gateway and the host's other addresses, finds no platform service", async () => {
    const me = await addressOf(docker, podId);
    const hosts = [...new Set([me.gateway, ...hostAddresses()])];
    expect(await openFrom(docker, podId, targets(hosts, platformPorts()))).toEqual([]);
  });

  it("a build step on the default bridge, scanning its gateway and the host's other addresses, finds no platform service", async () => {
    const me = await addressOf(docker, stepId);
    const hosts = [...new Set([me.gateway, ...hostAddresses()])];
    expect(await openFrom(docker, stepId, targets(hosts, platformPorts()))).toEqual([]);
  });

  it('control: the same scan finds a service listening on every interface, as DynamoDB Local did', async () => {
    for (const id of [podId, stepId]) {
      const { gateway } = await addressOf(docker, id);
      expect(await openFrom(docker, id, [{ host: gateway, port: controlPort }])).toEqual([`${gateway}:${controlPort}`]);
    }
  });

  it('the state store still answers on loopback (through its pipe): the platform is up', async () => {
    const res = await fetch(`${up.apiUrl}/healthz`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});
