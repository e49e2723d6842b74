// Probes against real pod containers on the Docker Engine, through the ports published on
// 127.0.0.1: the engine's port proxy accepts connections even while nothing listens in the
// container, and a tcpSocket probe must not take that for a listening app. httpGet and exec
// probes, exec as the container's user, and the container's log.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods } from '../../shared/fleet/docker-pods.ts';
import { runProbe } from '../../shared/fleet/probes.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';
import { probe as probeSchema } from '../../shared/model/deploy-kinds.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const owner = `probes-${randomBytes(4).toString('hex')}`;
const pods = new DockerPods(docker, { owner });
const project = 'probes';
let image = '';

const spec = (pod: string, command: string[]): PodSpecForHost => ({
  project,
  deployment: 'web',
  revision: 1,
  pod,
  image,
  env: [],
  ports: [{ containerPort: 8080 }],
  resources: { cpuMilli: 200, memoryBytes: 128 * 2 ** 20 },
  command,
});

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => undefined });
}, 20 * 60_000);

afterAll(async () => {
  for (const p of await pods.listPods()) await pods.removePod(p.project, p.pod);
});

describe('probes on real containers', () => {
  it('a published port whose container does not listen fails a tcpSocket probe; one that listens passes', async () => {
    const idle = await pods.ensurePod(spec('idle', ['sleep', '1000']));
    const serving = await pods.ensurePod(spec('serving', ['python3', '-m', 'http.server', '8080']));
    const tcp = probeSchema.parse({ tcpSocket: { port: 8080 } });
    const http = probeSchema.parse({ httpGet: { path: '/', port: 8080 } });
    // The idle container's port is published (the proxy accepts) but nothing answers.
    expect(idle.hostPorts).toHaveLength(1);
    const idleResult = await runProbe(tcp, { hostPorts: idle.hostPorts });
    expect(idleResult).toMatchObject({ ok: false });
    expect((await runProbe(http, { hostPorts: idle.hostPorts })).ok).toBe(false);
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = (await runProbe(tcp, { hostPorts: serving.hostPorts })).ok;
      if (!ok) await sleep(200);
    }
    expect(ok).toBe(true);
    expect(await runProbe(http, { hostPorts: serving.hostPorts })).toEqual({ ok: true });
    expect(await runProbe(probeSchema.parse({ httpGet: { path: '/missing', port: 8080 } }), { hostPorts: serving.hostPorts })).toEqual({ ok: false, detail: 'HTTP probe failed with statuscode: 404' });
  }, 120_000);

  it('exec probes run in the container as its user; a missing port says so', async () => {
    await pods.ensurePod(spec('exec', ['sleep', '1000']));
    const target = { hostPorts: [], exec: (cmd: string[], ms: number) => pods.exec(project, 'exec', cmd, ms) };
    expect(await runProbe(probeSchema.parse({ exec: { command: ['sh', '-c', 'test "$(id -u)" != 0'] } }), target)).toEqual({ ok: true });
    expect(await runProbe(probeSchema.parse({ exec: { command: ['sh', '-c', 'exit 3'] } }), target)).toEqual({ ok: false, detail: 'command exited with 3' });
    expect(await runProbe(probeSchema.parse({ tcpSocket: { port: 9999 } }), target)).toEqual({ ok: false, detail: 'port 9999 is not published by the container' });
  }, 60_000);

  it('reads the container\'s output', async () => {
    await pods.ensurePod(spec('talker', ['sh', '-c', 'echo one; echo two >&2; echo three; sleep 1000']));
    let text = '';
    for (let i = 0; i < 50 && !text.includes('three'); i++) {
      text = await pods.logs(project, 'talker');
      await sleep(100);
    }
    expect(text.split('\n').filter(Boolean).sort()).toEqual(['one', 'three', 'two']);
    expect((await pods.logs(project, 'talker', { tail: 1 })).trim()).toBe('three');
  }, 60_000);
});
