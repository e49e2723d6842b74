// `npm run bench -- deploy [--runs=N]`: how long a change takes to be served. On `npm run up`
// (local Docker Engine, DynamoDB Local, HAProxy), two DeploymentConfigs of the prebuilt Python
// image, one replica and three, each behind a Service and a Route, answer with the value of their
// REV variable. Each rollout changes REV (a PUT of the DC, the write that makes the new revision)
// and times it from sending that write to the first answer carrying the new value through the
// router. The floor, in the same run: `docker run` of the same image and command to its first
// answer. One rollout is traced: its steps are read from the objects' timestamps and events
// (write, RC, pod, bound, started, ready, endpoint, routed). Source to served: `new-app` of the
// wsgi sample (builder image present) and `expose`, from the command to the first answer.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { ensureDockerd } from '../shared/local/dockerd.ts';
import { runCli } from '../test/cli/harness.ts';
import { ADMIN_PASSWORD, removeProject, sampleImage, startPlatform, until, viaRouter, type Platform } from '../test/e2e/sample-app.ts';
import { timeToReady } from './build.ts';
import type { BenchResult } from './run.ts';
import { ENDPOINT_SOURCE, ms, podSteps, since, stepLine, watchEndpoints, type Step } from './_timeline.ts';

/** Serves one file holding $REV (stdlib only), so each revision answers with its own value. */
const REV_COMMAND = ['sh', '-c', 'mkdir -p /tmp/rev && printf %s "$REV" > /tmp/rev/index.html && exec python3 -m http.server 8080 --directory /tmp/rev'];

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

interface App {
  name: string;
  replicas: number;
  host: string;
}

/** Creates the DC (REV=start), its Service and Route; resolves once the route answers "start". */
async function deployApp(p: Platform, project: string, name: string, replicas: number, image: string): Promise<App> {
  const ok = (r: { status: number; body: any }) => {
    if (r.status >= 300) throw new Error(`${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const base = `/api/v1/projects/${project}`;
  ok(await p.api('POST', `${base}/deploymentconfigs`, {
    metadata: { name },
    spec: {
      replicas,
      selector: { app: name },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image, command: REV_COMMAND, env: [{ name: 'REV', value: 'start' }], ports: [{ containerPort: 8080 }] }] } },
    },
  }));
  ok(await p.api('POST', `${base}/services`, { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 8080 }] } }));
  ok(await p.api('POST', `${base}/routes`, { metadata: { name }, spec: { to: { name } } }));
  const route = await until(`route ${name} got no host`, () => p.api('GET', `${base}/routes/${name}`), (r) => Boolean(r.body?.spec?.host));
  const host = `${route.body.spec.host}:${p.ports.routerHttp}`;
  await until(`${name} did not answer through the router`, () => viaRouter(p.ports.routerHttp, host), (r) => r.status === 200 && r.body === 'start');
  await rolledOut(p, project, name);
  return { name, replicas, host };
}

/** Resolves once the DC's latest revision is Complete, with its RC. */
async function rolledOut(p: Platform, project: string, name: string): Promise<any> {
  const base = `/api/v1/projects/${project}`;
  const dc = await p.api('GET', `${base}/deploymentconfigs/${name}`);
  const rc = `${name}-${dc.body.status.latestVersion}`;
  return (await until(`${rc} did not complete`, () => p.api('GET', `${base}/replicationcontrollers/${rc}`), (r) => r.body?.status?.phase === 'Complete')).body;
}

/** Polls the route until it answers `body`; the time it did (performance.now()). */
async function firstAnswer(p: Platform, host: string, body: string, timeoutMs = 120_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const r = await viaRouter(p.ports.routerHttp, host);
    if (r.status === 200 && r.body === body) return performance.now();
    await sleep(10);
  }
  throw new Error(`${host} did not answer ${body} within ${timeoutMs / 1000} s`);
}

/** The write that makes a new revision: REV set to `rev` on the DC. */
async function setRev(p: Platform, project: string, name: string, rev: string, onWrite: () => void): Promise<void> {
  const path = `/api/v1/projects/${project}/deploymentconfigs/${name}`;
  const dc = (await p.api('GET', path)).body;
  const c = dc.spec.template.spec.containers[0];
  c.env = [{ name: 'REV', value: rev }];
  onWrite();
  const put = await p.api('PUT', path, { kind: dc.kind, metadata: { name, resourceVersion: dc.metadata.resourceVersion, labels: dc.metadata.labels, annotations: dc.metadata.annotations }, spec: dc.spec });
  if (put.status !== 200) throw new Error(`changing ${name}: ${put.status} ${JSON.stringify(put.body)}`);
}

/** One rollout: ms from sending the write to the first new answer, and to the revision being Complete. */
async function rollout(p: Platform, project: string, app: App, rev: string, onWrite?: () => void): Promise<{ servedMs: number; completeMs: number }> {
  const answered = firstAnswer(p, app.host, rev);
  let t0 = 0;
  await setRev(p, project, app.name, rev, () => {
    t0 = performance.now();
    onWrite?.();
  });
  const served = await answered;
  await rolledOut(p, project, app.name);
  return { servedMs: served - t0, completeMs: performance.now() - t0 };
}

/** Rolls `app` out once more, watching its Service's endpoints, and reads each step's time from the objects it left. */
async function traceRollout(p: Platform, docker: Docker, project: string, app: App, rev: string): Promise<Step[]> {
  const base = `/api/v1/projects/${project}`;
  let writeAt = 0; // wall clock (ms since the epoch)
  const before = await p.api('GET', `${base}/pods?labelSelector=app%3D${app.name}`);
  const endpoints = watchEndpoints(p, project, app.name, new Set(before.body.items.map((x: any) => x.metadata.name)));
  const r = await rollout(p, project, app, rev, () => (writeAt = Date.now()));
  await endpoints.stop();
  const endpointAt = endpoints.at();
  const routedAt = writeAt + r.servedMs;
  const dc = (await p.api('GET', `${base}/deploymentconfigs/${app.name}`)).body;
  const at = since(writeAt);
  return [
    { step: 'write (PUT of the DC)', at_ms: 0, source: 'client clock' },
    ...(await podSteps(p, docker, project, `${app.name}-${dc.status.latestVersion}`, writeAt)),
    { step: 'endpoint', at_ms: at(endpointAt), source: ENDPOINT_SOURCE },
    { step: 'routed (first new answer)', at_ms: at(routedAt), source: 'client clock' },
  ];
}

/** `new-app` of the wsgi sample and `expose`, from the command to the first answer through the router: ms, and the timeline. */
async function sourceToServed(p: Platform, docker: Docker, home: string, project: string): Promise<{ servedMs: number; timeline: Step[] }> {
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-deploy-src-'));
  try {
    const dir = join(work, 'wsgi');
    cpSync(join(import.meta.dirname, '..', 'test/fixtures/apps/wsgi-stdlib'), dir, { recursive: true });
    const env = { BERTH_CONFIG: join(home, 'cli.json'), HOME: home };
    const cli = async (...argv: string[]) => {
      const r = await runCli(argv, env);
      if (r.code !== 0) throw new Error(`berth ${argv.join(' ')}: ${r.stderr}`);
      return r;
    };
    await cli('login', p.up.apiUrl, '--username', 'admin', '--password', ADMIN_PASSWORD);
    const wall = Date.now();
    const t0 = performance.now();
    await cli('new-app', `python~${dir}`, '--name', 'wsgi', '--project', project);
    const commandDone = Date.now();
    await cli('expose', 'svc/wsgi', '--project', project);
    const route = await until('the wsgi route got no host', () => p.api('GET', `/api/v1/projects/${project}/routes/wsgi`), (r) => Boolean(r.body?.spec?.host), 30_000);
    const host = `${route.body.spec.host}:${p.ports.routerHttp}`;
    await until('the wsgi sample did not answer', () => viaRouter(p.ports.routerHttp, host), (r) => r.status === 200 && r.body.includes('hello from wsgi'), 300_000);
    const servedMs = performance.now() - t0;
    // Each step's time as the objects recorded it.
    const base = `/api/v1/projects/${project}`;
    const build = (await p.api('GET', `${base}/builds/wsgi-1`)).body;
    const stream = (await p.api('GET', `${base}/imagestreams/wsgi`)).body;
    const pushed = stream.status?.tags?.find((t: any) => t.tag === 'latest')?.items?.at(-1)?.created;
    const dc = (await p.api('GET', `${base}/deploymentconfigs/wsgi`)).body;
    const at = since(wall);
    const timeline: Step[] = [
      { step: 'new-app sent', at_ms: 0, source: 'client clock' },
      { step: 'Build made', at_ms: at(build.metadata.creationTimestamp), source: 'wsgi-1 creationTimestamp' },
      { step: 'new-app returned', at_ms: at(commandDone), source: 'client clock' },
      { step: 'build running', at_ms: at(build.status.startTimestamp), source: 'Build status.startTimestamp' },
      { step: 'assembled, committed, pushed', at_ms: at(pushed), source: 'ImageStream tag created' },
      { step: 'build Complete', at_ms: at(build.status.completionTimestamp), source: 'Build status.completionTimestamp' },
      ...(await podSteps(p, docker, project, `wsgi-${dc.status.latestVersion}`, wall)),
      { step: 'routed (first answer)', at_ms: ms(servedMs), source: 'client clock' },
    ];
    return { servedMs, timeline };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<BenchResult> {
  const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 20);
  await ensureDockerd({ say: (l) => console.log(l), detached: true });
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const image = await sampleImage(docker);

  const home = mkdtempSync(join(tmpdir(), 'berth-bench-deploy-'));
  const project = 'bench-deploy';
  // The host lease at `npm run up`'s default (the idling tests shorten it).
  const p = await startPlatform(home, { PAAS_BUILDER_VARIANT: 'test', PAAS_HOST_LEASE_MS: '2000' });
  const floor: number[] = [];
  const one: number[] = [];
  const oneDone: number[] = [];
  const three: number[] = [];
  const threeDone: number[] = [];
  let timeline: Step[] = [];
  let s2s = NaN;
  let s2sTimeline: Step[] = [];
  try {
    const made = await p.api('POST', '/api/v1/projects', { metadata: { name: project } });
    if (made.status >= 300) throw new Error(`project: ${made.status} ${JSON.stringify(made.body)}`);
    const a1 = await deployApp(p, project, 'one', 1, image);
    const a3 = await deployApp(p, project, 'three', 3, image);
    timeline = await traceRollout(p, docker, project, a1, 'traced');
    // Interleaved, so that the floor and both sizes see the same load on the machine.
    for (let i = 0; i < runs; i++) {
      floor.push((await timeToReady(docker, image, REV_COMMAND)) * 1000);
      const r1 = await rollout(p, project, a1, `one-${i}`);
      one.push(r1.servedMs);
      oneDone.push(r1.completeMs);
      const r3 = await rollout(p, project, a3, `three-${i}`);
      three.push(r3.servedMs);
      threeDone.push(r3.completeMs);
    }
    ({ servedMs: s2s, timeline: s2sTimeline } = await sourceToServed(p, docker, home, project));
  } finally {
    await removeProject(p, project).catch(() => undefined);
    await p.up.stop();
    rmSync(home, { recursive: true, force: true });
  }
  const f = ms(percentile(floor, 50));
  const figures = {
    runs,
    floorMs: f,
    floorP99Ms: ms(percentile(floor, 99)),
    oneReplicaP50Ms: ms(percentile(one, 50)),
    oneReplicaP99Ms: ms(percentile(one, 99)),
    oneReplicaCompleteP50Ms: ms(percentile(oneDone, 50)),
    threeReplicaP50Ms: ms(percentile(three, 50)),
    threeReplicaP99Ms: ms(percentile(three, 99)),
    threeReplicaCompleteP50Ms: ms(percentile(threeDone, 50)),
    sourceToServedMs: ms(s2s),
  };
  return {
    rows: [
      { what: 'docker run → first answer (floor)', p50_ms: figures.floorMs, p99_ms: figures.floorP99Ms, aim: '' },
      { what: 'one replica: write → first new answer', p50_ms: figures.oneReplicaP50Ms, p99_ms: figures.oneReplicaP99Ms, aim: `p50 ≤ ${f + 500}, p99 ≤ ${f + 1000}` },
      { what: 'one replica: write → rollout Complete', p50_ms: figures.oneReplicaCompleteP50Ms, p99_ms: ms(percentile(oneDone, 99)), aim: '' },
      { what: 'three replicas: write → first new answer', p50_ms: figures.threeReplicaP50Ms, p99_ms: figures.threeReplicaP99Ms, aim: `≤ ${2 * figures.oneReplicaP50Ms} (2× one)` },
      { what: 'three replicas: write → rollout Complete', p50_ms: figures.threeReplicaCompleteP50Ms, p99_ms: ms(percentile(threeDone, 99)), aim: '' },
      { what: 'new-app wsgi + expose → first answer', p50_ms: figures.sourceToServedMs, p99_ms: figures.sourceToServedMs, aim: '≤ 5000' },
    ],
    figures,
    notes: [
      `image ${image}, ${runs} rollouts of each size (Rolling, default 25% surge), on npm run up (local Docker Engine, DynamoDB Local, HAProxy)`,
      'timeline of one one-replica rollout (ms after the write):',
      ...timeline.map(stepLine),
      'timeline of new-app of the wsgi sample, builder image present (ms after the command):',
      ...s2sTimeline.map(stepLine),
    ],
  };
}
