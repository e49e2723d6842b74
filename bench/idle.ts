// `npm run bench -- idle [--runs=N]`: how long a woken app takes to answer. The sample app (the
// prebuilt Python image serving a directory) runs on `npm run up`; each run idles it
// (`POST …/idle`), waits until its pod is gone, then times one request through the router from
// sending to its answer: held by the router, the DC woken through the table's stream, a pod
// scheduled and started, the request passed on. The floor, in the same run: `docker run` of the
// same image and command to its first HTTP 200 (a cold start with nothing else to do), one before
// each wake. Aim:
// wake-to-first-answer within 1.5× the cold start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { LABELS } from '../shared/fleet/pod-container.ts';
import { ensureDockerd } from '../shared/local/dockerd.ts';
import { deploySample, podsGone, removeProject, SAMPLE_COMMAND, sampleImage, startPlatform, viaRouter, type Platform } from '../test/e2e/sample-app.ts';
import { timeToReady } from './build.ts';
import type { BenchResult } from './run.ts';
import { ENDPOINT_SOURCE, ms, podSteps, since, stepLine, watchEndpoints, type Step } from './_timeline.ts';
import { UNIDLED_AT } from '../shared/idling/annotations.ts';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number) => Number(x.toFixed(2));

/** The steps of one wake, read from the objects: the DC woken, then its new pod's. */
/** Whether the project's running pod joined a warm sandbox (shared/fleet/docker-sandboxes.ts). */
async function inWarmSandbox(docker: Docker, project: string): Promise<boolean> {
  const [c] = await docker.listContainers({ filters: { label: [`${LABELS.project}=${project}`, `${LABELS.managed}=true`] } });
  return Boolean(c && c.Labels[LABELS.podIP]);
}

async function wakeSteps(p: Platform, docker: Docker, project: string, wall: number, answeredMs: number, endpointAt: number | undefined): Promise<Step[]> {
  const dc = (await p.api('GET', `/api/v1/projects/${project}/deploymentconfigs/web`)).body;
  const pod = (await podSteps(p, docker, project, `web-${dc.status.latestVersion}`, wall)).filter((s) => s.step !== 'RC made');
  return [
    { step: 'request sent', at_ms: 0, source: 'client clock' },
    { step: 'DC woken', at_ms: since(wall)(dc.metadata.annotations?.[UNIDLED_AT]), source: `${UNIDLED_AT} annotation` },
    ...pod,
    { step: 'endpoint', at_ms: since(wall)(endpointAt), source: ENDPOINT_SOURCE },
    { step: 'answered', at_ms: answeredMs, source: 'client clock' },
  ];
}

export async function run(args: string[]): Promise<BenchResult> {
  const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);
  await ensureDockerd({ say: (l) => console.log(l), detached: true });
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const image = await sampleImage(docker);
  const cold: number[] = [];

  const home = mkdtempSync(join(tmpdir(), 'berth-bench-idle-'));
  const project = 'bench-idle';
  const p = await startPlatform(home);
  const wake: number[] = [];
  const statuses = new Set<number>();
  let joined = 0;
  let timeline: Step[] = [];
  try {
    const host = await deploySample(p, project, 'web', image);
    const dc = `/api/v1/projects/${project}/deploymentconfigs/web`;
    for (let i = 0; i < runs; i++) {
      // Interleaved with the wakes, so that the floor sees the same load on the machine.
      cold.push(await timeToReady(docker, image, SAMPLE_COMMAND));
      const idled = await p.api('POST', `${dc}/idle`);
      if (idled.status !== 200) throw new Error(`idling failed: ${idled.status} ${JSON.stringify(idled.body)}`);
      await podsGone(p, project, 'web');
      // Let the router apply the empty endpoints (the route points at the unidler then).
      await new Promise((r) => setTimeout(r, 500));
      // The last wake is traced, its endpoints watched (which adds a little load of its own).
      const endpoints = i === runs - 1 ? watchEndpoints(p, project, 'web', new Set()) : undefined;
      const wall = Date.now();
      const t0 = performance.now();
      const reply = await viaRouter(p.ports.routerHttp, host);
      const answered = performance.now() - t0;
      wake.push(answered / 1000);
      statuses.add(reply.status);
      await endpoints?.stop();
      if (await inWarmSandbox(docker, project)) joined++;
      if (endpoints) timeline = await wakeSteps(p, docker, project, wall, ms(answered), endpoints.at());
    }
  } finally {
    await removeProject(p, project).catch(() => undefined);
    await p.up.stop();
    rmSync(home, { recursive: true, force: true });
  }
  const figures = {
    runs,
    wake_p50_s: round(percentile(wake, 50)),
    wake_p99_s: round(percentile(wake, 99)),
    cold_p50_s: round(percentile(cold, 50)),
    cold_p99_s: round(percentile(cold, 99)),
    wake_over_cold_p50: round(percentile(wake, 50) / percentile(cold, 50)),
    answers: [...statuses].sort().join(','),
    wakes_in_warm_sandbox: joined,
  };
  return {
    rows: [
      { what: 'wake through the router (idled → first answer)', p50_s: figures.wake_p50_s, p99_s: figures.wake_p99_s },
      { what: 'cold docker run → first answer (floor)', p50_s: figures.cold_p50_s, p99_s: figures.cold_p99_s },
      { what: 'ratio at p50 (aim ≤ 1.5)', p50_s: figures.wake_over_cold_p50, p99_s: round(figures.wake_p99_s / figures.cold_p99_s) },
    ],
    figures,
    notes: [
      `sample app: ${image} running ${SAMPLE_COMMAND.join(' ')}, ${runs} runs each, on npm run up (local Docker Engine, DynamoDB Local, HAProxy)`,
      `HTTP statuses of the held requests: ${figures.answers}; wakes whose pod joined a warm sandbox: ${joined} of ${runs}`,
      'timeline of the last wake (ms after the request was sent):',
      ...timeline.map(stepLine),
    ],
  };
}
