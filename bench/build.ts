// `npm run bench -- build [--runs=N] [--variant=test|plain]`: S2I build times of the sample apps
// with the Python builder on the local Docker Engine: a full build, an incremental rebuild
// (save-artifacts of the previous image injected), and the time from starting the image as an
// arbitrary UID to its first HTTP 200 on 127.0.0.1. Medians of N runs.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { ensureBuilderImages, type Variant } from '../images/build.ts';
import { makeWheels } from '../images/wheelhouse.ts';
import { s2iBuild } from '../shared/builds/s2i/index.ts';
import { ensureDockerd } from '../shared/local/dockerd.ts';
import type { BenchResult } from './run.ts';

const APPS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/apps');
const PLAIN_APPS = ['wsgi-stdlib', 'app-py', 'app-sh', 'wheel-app'];
const TEST_APPS = ['wsgi-stdlib', 'app-py', 'app-sh', 'flask-gunicorn', 'django', 'wheel-app'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [(performance.now() - t0) / 1000, r];
}

/**
 * Seconds from running the image (arbitrary UID, no capabilities; `cmd` instead of its own
 * command) to its first HTTP 200: what `docker run` does, the container made and then started,
 * both in the time.
 */
export async function timeToReady(docker: Docker, image: string, cmd?: string[]): Promise<number> {
  const t0 = performance.now();
  const c = await docker.createContainer({
    Image: image,
    ...(cmd ? { Cmd: cmd } : {}),
    User: '1000770000:0',
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], Memory: 256 * 1024 * 1024, PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  try {
    await c.start();
    const port = (await c.inspect()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    while (performance.now() - t0 < 60_000) {
      // A ref'd timer: AbortSignal.timeout's is unref'd, and undici's socket alone keeps no loop alive.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), 2000);
      const ok = await fetch(`http://127.0.0.1:${port}/`, { signal: abort.signal }).then((r) => r.ok, () => false);
      clearTimeout(timer);
      if (ok) return (performance.now() - t0) / 1000;
      await sleep(50);
    }
    throw new Error(`${image} did not answer within 60 s`);
  } finally {
    await c.remove({ force: true });
  }
}

export async function run(args: string[]): Promise<BenchResult> {
  const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);
  const variant = (args.find((a) => a.startsWith('--variant='))?.slice(10) ?? 'test') as Variant;
  await ensureDockerd({ say: (l) => console.log(l), detached: true });
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const [imageSeconds, builder] = await timed(() => ensureBuilderImages(docker, { variant, log: () => undefined }));
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-build-'));
  const rows: BenchResult['rows'] = [];
  const figures: BenchResult['figures'] = { runs, builder, builder_image_s: Number(imageSeconds.toFixed(1)) };
  const tags: string[] = [];
  try {
    for (const app of variant === 'plain' ? PLAIN_APPS : TEST_APPS) {
      const sourceDir = join(work, app);
      await cp(join(APPS_DIR, app), sourceDir, { recursive: true });
      if (app === 'wheel-app') await makeWheels(docker, builder, join(APPS_DIR, 'berthdemo-src'), join(sourceDir, '.s2i/wheelhouse'));
      const tag = `berth-bench/${app}:latest`;
      tags.push(tag);
      const full: number[] = [];
      const incremental: number[] = [];
      const ready: number[] = [];
      for (let i = 0; i < runs; i++) {
        const base = { builderImage: builder, sourceDir, tag, env: [], log: () => undefined };
        full.push((await timed(() => s2iBuild(docker, { ...base, incremental: false })))[0]);
        incremental.push((await timed(() => s2iBuild(docker, { ...base, incremental: true, previousImage: tag })))[0]);
        ready.push(await timeToReady(docker, tag));
      }
      const row = { app, full_s: Number(median(full).toFixed(2)), incremental_s: Number(median(incremental).toFixed(2)), first_answer_s: Number(median(ready).toFixed(2)) };
      rows.push(row);
      figures[`${app}_full_s`] = row.full_s;
      figures[`${app}_incremental_s`] = row.incremental_s;
      figures[`${app}_first_answer_s`] = row.first_answer_s;
    }
  } finally {
    await Promise.all(tags.map((t) => docker.getImage(t).remove({ force: true }).catch(() => undefined)));
    await rm(work, { recursive: true, force: true });
  }
  return {
    rows,
    figures,
    notes: [
      `S2I builds with ${builder} on the local Docker Engine, median of ${runs} runs per app`,
      'full: clean build; incremental: save-artifacts of the previous image + assemble reusing them; first answer: container start to HTTP 200 as UID 1000770000',
      `builder image ready in ${imageSeconds.toFixed(1)} s (0 when its recipe hash was already built)`,
    ],
  };
}
