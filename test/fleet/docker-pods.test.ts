// DockerPods against the real Docker Engine: a pod container runs locked down (arbitrary UID in
// group 0, no capabilities, no-new-privileges, no mounts, limits, labels), answers HTTP on the
// port published on 127.0.0.1, is ensured idempotently and removed only when Berth manages it.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods, UnmanagedContainerError } from '../../shared/fleet/docker-pods.ts';
import { projectUid } from '../../shared/fleet/pod-container.ts';
import type { PodSpecForHost, RunningPod } from '../../shared/fleet/types.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const pods = new DockerPods(docker);
const project = `fleet-${randomBytes(4).toString('hex')}`;
let image = '';
/** The same image under another name: a new image as far as the pod's spec is concerned. */
const otherTag = `berth/fleet-test:${project}`;

function podSpec(pod: string, over: Partial<PodSpecForHost> = {}): PodSpecForHost {
  return {
    project,
    deployment: 'web',
    revision: 2,
    pod,
    image,
    env: [{ name: 'GREETING', value: 'hello' }],
    ports: [{ containerPort: 8080 }],
    resources: { cpuMilli: 200, memoryBytes: 128 * 1024 * 1024 },
    command: ['python3', '-m', 'http.server', '8080'],
    ...over,
  };
}

async function exec(containerId: string, cmd: string[]): Promise<string> {
  const e = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, out, out);
  await new Promise((resolve) => stream.on('end', resolve));
  return Buffer.concat(chunks).toString('utf8');
}

/** GETs the URL until it answers (bounded); an early connection can hang until the server listens. */
async function get(url: string, timeoutMs = 20_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(1000) });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

beforeAll(async () => {
  image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
}, 600_000);

afterAll(async () => {
  const left = await docker.listContainers({ all: true, filters: { name: [`berth-${project}_`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  await docker.getImage(otherTag).remove().catch(() => undefined);
});

describe('DockerPods', () => {
  let running: RunningPod;

  beforeAll(async () => {
    running = await pods.ensurePod(podSpec('web-2-aaaaa'));
  }, 60_000);

  it('starts the pod and reports the port the engine published on 127.0.0.1', () => {
    expect(running.state).toBe('running');
    expect(running.hostPorts).toEqual([{ containerPort: 8080, hostIp: '127.0.0.1', hostPort: expect.any(Number) }]);
    expect(running.hostPorts[0]!.hostPort).toBeGreaterThan(0);
    expect(running.startedAt).toEqual(expect.any(String));
  });

  it('the published port answers HTTP', async () => {
    const res = await get(`http://127.0.0.1:${running.hostPorts[0]!.hostPort}/`);
    expect(res.status).toBe(200);
    await res.text();
  });

  it("runs as the project's arbitrary UID in group 0, with no capabilities and no-new-privileges", async () => {
    const uid = projectUid(project);
    const info = await docker.getContainer(running.containerId).inspect();
    expect(info.Config.User).toBe(`${uid}:0`);
    const status = await exec(running.containerId, ['cat', '/proc/1/status']);
    const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1]?.split(/\s+/);
    expect(field('Uid')).toEqual([uid, uid, uid, uid].map(String));
    expect(field('Gid')).toEqual(['0', '0', '0', '0']);
    expect(field('CapEff')).toEqual(['0000000000000000']);
    expect(field('CapPrm')).toEqual(['0000000000000000']);
    expect(field('CapBnd')).toEqual(['0000000000000000']);
    expect(field('NoNewPrivs')).toEqual(['1']);
    expect((await exec(running.containerId, ['id', '-u'])).trim()).toBe(String(uid));
    expect((await exec(running.containerId, ['id', '-g'])).trim()).toBe('0');
  });

  it('has the limits, no mounts, no Docker socket, and the labels naming the pod', async () => {
    const info = await docker.getContainer(running.containerId).inspect();
    expect(info.HostConfig).toMatchObject({
      Memory: 128 * 1024 * 1024,
      NanoCpus: 200_000_000,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      PidsLimit: 512,
    });
    expect(info.Mounts).toEqual([]);
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    expect(JSON.stringify(info)).not.toContain('docker.sock');
    expect(info.Config.Labels).toMatchObject({
      'berth.io/managed': 'true',
      'berth.io/project': project,
      'berth.io/deployment': 'web',
      'berth.io/revision': '2',
      'berth.io/pod': 'web-2-aaaaa',
    });
    expect(info.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello', 'PORT=8080']));
  });

  it('ensuring the same pod again returns the same container', async () => {
    const again = await pods.ensurePod(podSpec('web-2-aaaaa'));
    expect(again.containerId).toBe(running.containerId);
    expect(again.hostPorts).toEqual(running.hostPorts);
  });

  it('inspectPod reports the pod; an absent pod is undefined', async () => {
    expect(await pods.inspectPod(project, 'web-2-aaaaa')).toMatchObject({ containerId: running.containerId, state: 'running' });
    expect(await pods.inspectPod(project, 'no-such-pod')).toBeUndefined();
  });

  it('listPods finds the managed pod by its labels', async () => {
    const mine = (await pods.listPods()).filter((p) => p.project === project);
    expect(mine).toEqual([
      expect.objectContaining({ containerId: running.containerId, pod: 'web-2-aaaaa', deployment: 'web', revision: 2, state: 'running', hostPorts: running.hostPorts }),
    ]);
  });

  it('a pod whose container exited is replaced by a new, running one', async () => {
    const first = await pods.ensurePod(podSpec('web-2-exits', { command: ['python3', '-c', 'raise SystemExit(3)'] }));
    await docker.getContainer(first.containerId).wait();
    expect(await pods.inspectPod(project, 'web-2-exits')).toMatchObject({ state: 'exited', exitCode: 3 });
    const second = await pods.ensurePod(podSpec('web-2-exits'));
    expect(second.containerId).not.toBe(first.containerId);
    expect(second.state).toBe('running');
    await pods.removePod(project, 'web-2-exits');
  });

  it('a pod ensured with another image is replaced by a container of that image', async () => {
    await docker.getImage(image).tag({ repo: 'berth/fleet-test', tag: project });
    const first = await pods.ensurePod(podSpec('web-2-newimg'));
    const second = await pods.ensurePod(podSpec('web-2-newimg', { image: otherTag, revision: 3 }));
    expect(second.containerId).not.toBe(first.containerId);
    await expect(docker.getContainer(first.containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const info = await docker.getContainer(second.containerId).inspect();
    expect(info.Config.Image).toBe(otherTag);
    expect(info.Config.Labels?.['berth.io/revision']).toBe('3');
    await pods.removePod(project, 'web-2-newimg');
  });

  it('removePod refuses a container Berth did not create and leaves it alone', async () => {
    const name = `berth-${project}_intruder`;
    const intruder = await docker.createContainer({ name, Image: image, Cmd: ['true'] });
    const err = await pods.removePod(project, 'intruder').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnmanagedContainerError);
    expect(err).toMatchObject({ code: 'UnmanagedContainer' });
    expect(await pods.ensurePod(podSpec('intruder')).catch((e: unknown) => e)).toBeInstanceOf(UnmanagedContainerError);
    expect((await intruder.inspect()).Id).toBe(intruder.id);
    expect(await pods.inspectPod(project, 'intruder')).toBeUndefined();
  });

  it('removePod removes a managed pod, and removing it again is a no-op', async () => {
    await pods.removePod(project, 'web-2-aaaaa');
    expect(await pods.inspectPod(project, 'web-2-aaaaa')).toBeUndefined();
    await expect(docker.getContainer(running.containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await pods.removePod(project, 'web-2-aaaaa');
  });
});
