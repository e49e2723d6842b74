// Attack: a build step — tenant code in assemble, on its build's network with the package index —
// scans for everything else: the platform's services (the API, DynamoDB Local, the registry, the
// router) on its gateway and the host's addresses, the instance metadata address, a pod of
// another project, and another tenant's build running at the same time. It reaches the package
// index and nothing else. The control shows the scan finds what is there: the index answers.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerIndexEgress, PACKAGE_INDEX_ALIAS, PACKAGE_INDEX_PORT, packageIndexName } from '../../shared/builds/docker-egress.ts';
import type { BuildNetwork } from '../../shared/builds/egress.ts';
import { stepContainerSpec } from '../../shared/builds/s2i/spec.ts';
import { DockerPods, removeOwnedContainers } from '../../shared/fleet/docker-pods.ts';
import { startUp, upPorts, type UpPorts, type UpProcess } from '../support/up.ts';
import { addressOf, hostAddresses, openFrom, targets } from './net-probe.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const owner = `sec-egress-${tag}`;
const home = mkdtempSync(join(tmpdir(), 'berth-sec-egress-'));
const SERVE = ['python3', '-m', 'http.server', '8080'];
let up: UpProcess;
let ports: UpPorts;
let image = '';
const networks: BuildNetwork[] = [];
const steps: string[] = [];
let mine = '';
let theirs = '';
let podIp = '';
let podId = '';

/** A build step's container, as assemble's (same spec), on the build's network, serving on 8080. */
async function stepOn(network: BuildNetwork, project: string): Promise<string> {
  const spec = stepContainerSpec({ image, step: 'assemble', cmd: 'python3', user: '1001:0', env: [], build: { project, name: 'app-1' }, network: network.mode });
  const c = await docker.createContainer({ ...spec, Entrypoint: [], Cmd: SERVE, AttachStdout: false, AttachStderr: false });
  steps.push(c.id);
  await c.start();
  return c.id;
}

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  ports = await upPorts();
  up = await startUp(home, ports, { PAAS_PACKAGE_INDEX_IMAGE: image });
  expect(up.output()).toContain('package index for builds');
  const egress = new DockerIndexEgress(docker, { container: packageIndexName(home) });
  networks.push(await egress.open({ project: `victim-${tag}`, name: 'app-1' }), await egress.open({ project: `attacker-${tag}`, name: 'app-1' }));
  theirs = await stepOn(networks[0]!, `victim-${tag}`);
  mine = await stepOn(networks[1]!, `attacker-${tag}`);
  const pod = await new DockerPods(docker, { owner }).ensurePod({
    project: `victim-${tag}`, deployment: 'web', revision: 1, pod: 'web-1-aaaaa', image, env: [],
    ports: [{ containerPort: 8080 }], resources: { cpuMilli: 100, memoryBytes: 64 * 1024 * 1024 }, command: SERVE,
  });
  podId = pod.containerId;
  podIp = (await addressOf(docker, podId)).ip;
}, 600_000);

afterAll(async () => {
  await Promise.all(steps.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  for (const n of networks) await n.close();
  await removeOwnedContainers(docker, owner);
  await up?.stop();
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe("a build step's network", () => {
  it('reaches no platform service, no pod, no other build and no instance metadata: only the package index', async () => {
    const me = await addressOf(docker, mine);
    const other = await addressOf(docker, theirs);
    const platform = [ports.api, ports.dynamo, ports.registry, ports.routerHttp, ports.routerHttps, Number(new URL(inject('dynamoEndpoint')).port), Number(inject('registryHost').split(':')[1])];
    const scan = [
      ...targets([...new Set([me.gateway, ...hostAddresses()])], platform),
      ...targets([other.ip, other.gateway, podIp], [8080]),
      { host: '169.254.169.254', port: 80 },
      { host: PACKAGE_INDEX_ALIAS, port: PACKAGE_INDEX_PORT },
    ];
    expect(await openFrom(docker, mine, scan)).toEqual([`${PACKAGE_INDEX_ALIAS}:${PACKAGE_INDEX_PORT}`]);
  });

  it("control: the other build's step and the pod do serve on 8080, seen from their own networks", async () => {
    const other = await addressOf(docker, theirs);
    expect(await openFrom(docker, theirs, [{ host: other.ip, port: 8080 }])).toEqual([`${other.ip}:8080`]);
    expect(await openFrom(docker, podId, [{ host: podIp, port: 8080 }])).toEqual([`${podIp}:8080`]);
  });

  it("the index's address on another build's network is not reachable either", async () => {
    const index = await docker.getContainer(packageIndexName(home)).inspect();
    const onTheirs = index.NetworkSettings.Networks[networks[0]!.mode]?.IPAddress;
    expect(onTheirs).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await openFrom(docker, mine, [{ host: onTheirs!, port: PACKAGE_INDEX_PORT }])).toEqual([]);
    // The index joins build networks and its own only: never a project's pod network.
    expect(Object.keys(index.NetworkSettings.Networks).sort()).toEqual([packageIndexName(home), ...networks.map((n) => n.mode)].sort());
  });
});
