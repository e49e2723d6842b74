// One more Docker Engine on this machine (another local fleet host): it starts with its own
// socket, data and bridge, pulls a pod's image from the local registry, runs the pod container
// with its port published on 127.0.0.1 and reachable, takes images copied from another engine,
// and is gone (process, socket answer, bridges) after stop().
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { DockerPods } from '../../shared/fleet/docker-pods.ts';
import { copyImage, dockerPing, startExtraDockerd, type ExtraDockerd } from '../../shared/local/dockerd.ts';

const main = new Docker({ socketPath: '/var/run/docker.sock' });
// Engine 2 is the deployments e2e test's: this one takes another of the 24.
const INDEX = 3 + Math.floor(Math.random() * 22);
const POOL = `10.${200 + INDEX}.`;

/** Addresses on this machine's interfaces in the engine's own pool. */
function poolAddresses(): string[] {
  const out = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter((line) => line.includes(` inet ${POOL}`));
}
let engine: ExtraDockerd | undefined;
let root = '';
let other: Docker;
let image = '';
let pushed = '';

async function followed(stream: NodeJS.ReadableStream, docker: Docker): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    }),
  );
}

beforeAll(async () => {
  image = await ensureBuilderImages(main, { variant: 'test', log: () => {} });
  // Pod images are registry references: put the test image in the local registry.
  pushed = `${inject('registryHost')}/fleet/extra:${randomBytes(3).toString('hex')}`;
  const [repo, tag] = [pushed.slice(0, pushed.lastIndexOf(':')), pushed.slice(pushed.lastIndexOf(':') + 1)];
  await main.getImage(image).tag({ repo, tag });
  await followed(await main.getImage(pushed).push({ authconfig: { serveraddress: inject('registryHost') } }), main);
  root = mkdtempSync('/tmp/be-');
  // A bridge an earlier engine with this index left in its pool (its engine was killed).
  spawnSync('ip', ['link', 'add', 'name', `berth-left${INDEX}`, 'type', 'bridge']);
  spawnSync('ip', ['addr', 'add', `${POOL}0.1/24`, 'dev', `berth-left${INDEX}`]);
  engine = await startExtraDockerd({ index: INDEX, root, say: () => {} });
  other = new Docker({ socketPath: engine.socketPath });
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  spawnSync('ip', ['link', 'del', `berth-left${INDEX}`]);
  if (root) rmSync(root, { recursive: true, force: true });
  await main.getImage(pushed).remove().catch(() => undefined);
  // Stopping an engine waits for its containers and its bridge; a busy machine takes its time.
}, 180_000);

describe('an extra local Docker Engine', () => {
  it('answers on its own socket with its own bridge', async () => {
    expect(engine!.socketPath).not.toBe('/var/run/docker.sock');
    expect(await dockerPing(engine!.socketPath)).toBe(true);
    const info = (await other.info()) as { DockerRootDir: string; Containers: number };
    expect(info.DockerRootDir).toContain('/be-');
    const addr = spawnSync('ip', ['-4', 'addr', 'show', `berth-br${INDEX}`], { encoding: 'utf8' }).stdout;
    expect(addr).toContain(`10.231.${INDEX}.1/24`);
    // The bridge left in its pool by an earlier engine was taken away before it started.
    expect(spawnSync('ip', ['link', 'show', `berth-left${INDEX}`]).status).not.toBe(0);
  });

  it("pulls a pod's image from the local registry and runs the pod, reachable on 127.0.0.1", async () => {
    const pods = new DockerPods(other, { owner: 'extra-test' });
    const running = await pods.ensurePod({
      project: 'extra-engine',
      deployment: 'web',
      revision: 1,
      pod: 'web-1-extra',
      image: pushed,
      command: ['python3', '-m', 'http.server', '8080'],
      env: [],
      ports: [{ containerPort: 8080 }],
      resources: { cpuMilli: 100, memoryBytes: 128 * 2 ** 20 },
    });
    const port = running.hostPorts[0]!;
    expect(port.hostIp).toBe('127.0.0.1');
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (status !== 200) {
      try {
        const res = await fetch(`http://127.0.0.1:${port.hostPort}/`, { signal: AbortSignal.timeout(1000) });
        status = res.status;
        await res.text();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(200);
      }
    }
    expect(status).toBe(200);
    // Not on the main engine: the two engines hold separate containers.
    expect(await new DockerPods(main, { owner: 'extra-test' }).inspectPod('extra-engine', 'web-1-extra')).toBeUndefined();
    // The project's network on this engine has its addresses from the engine's own pool.
    expect(poolAddresses().length).toBeGreaterThan(0);
  }, 120_000);

  it('takes an image copied from another engine', async () => {
    await copyImage(main, other, image);
    expect((await other.getImage(image).inspect()).Id).toBe((await main.getImage(image).inspect()).Id);
  }, 120_000);

  it("is gone after stop(): no answer on the socket, no process, no bridge, nothing left in its pool", async () => {
    const pid = engine!.process.pid!;
    await engine!.stop();
    expect(await dockerPing(engine!.socketPath)).toBe(false);
    expect(engine!.process.exitCode !== null || engine!.process.signalCode !== null).toBe(true);
    expect(spawnSync('kill', ['-0', String(pid)]).status).not.toBe(0);
    expect(spawnSync('ip', ['link', 'show', `berth-br${INDEX}`]).status).not.toBe(0);
    expect(poolAddresses()).toEqual([]);
    engine = undefined;
  }, 60_000);
});
