// The CLI harness with pods that run: the API serves exec over WebSocket and reaches a Host that
// is this machine's Docker Engine (containers owned by the test's own owner label), and `runPod`
// records a Pod bound to it and starts its container with the test builder image.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { ensureBuilderImages } from '../../images/build.ts';
import { createApi } from '../../shared/api/app.ts';
import { nodeStreams } from '../../shared/api/node-websocket.ts';
import { DockerPods, removeOwnedContainers } from '../../shared/fleet/docker-pods.ts';
import { projectUid } from '../../shared/fleet/pod-container.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { startCli, type CliHarness } from './harness.ts';

export interface PodHarness extends CliHarness {
  docker: Docker;
  pods: DockerPods;
  owner: string;
  /** Records a running Pod `name` in `project` (label deploymentconfig=`dc`) and starts its container. */
  runPod(project: string, name: string, command: string[], opts?: { dc?: string; env?: { name: string; value: string }[] }): Promise<{ containerId: string }>;
  /** Signs up alice and victor, and makes `project` as alice with victor a `view` member of it. */
  projectWithViewer(project: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPodHarness(): Promise<PodHarness> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  const owner = `streams-${randomBytes(4).toString('hex')}`;
  const host = `host-${owner}`;
  const pods = new DockerPods(docker, { owner });
  const ws = nodeStreams();
  const h = await startCli(
    (api) => createApi({ store: api.store, identity: api.identity, builds: api.builds, streams: ws.streams, fleet: { containersFor: (h) => (h.metadata.name === host ? pods : undefined) } }),
    {},
    (server, app) => ws.attach(app as never, server),
  );
  await h.api.store.create({ kind: 'Host', metadata: { name: host, project: '' }, spec: { provider: 'docker', endpoint: '/var/run/docker.sock', address: '127.0.0.1', capacity: { cpu: '2', memory: '2Gi' }, unschedulable: false }, status: { allocatable: { cpuMilli: 2000, memoryBytes: 2 * 2 ** 30 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true, conditions: [] } });
  return {
    ...h,
    docker,
    pods,
    owner,
    async runPod(project, name, command, opts = {}) {
      await h.api.store.create<Pod>({
        kind: 'Pod',
        metadata: { name, project, labels: { deploymentconfig: opts.dc ?? 'web' } },
        spec: { host, containers: [{ name: 'web', image, command, env: opts.env ?? [], ports: [], resources: { requests: {}, limits: {} } }] } as never,
        status: { phase: 'Running', conditions: [] } as never,
      });
      return pods.ensurePod({ project, deployment: opts.dc ?? 'web', revision: 1, pod: name, image, env: opts.env ?? [], ports: [], resources: { cpuMilli: 200, memoryBytes: 128 * 2 ** 20 }, command, uid: projectUid(project) });
    },
    async projectWithViewer(project) {
      for (const user of ['alice', 'victor']) {
        await h.api.user(user);
        await h.login(user);
      }
      if ((await h.berth(['new-project', project], 'alice')).code !== 0) throw new Error(`project ${project} was not made`);
      if ((await h.berth(['adm', 'policy', 'add-role-to-user', 'view', 'victor', '-n', project], 'alice')).code !== 0) throw new Error('victor was not made a viewer');
    },
    async stop() {
      await removeOwnedContainers(docker, owner);
      await h.close();
    },
  };
}
