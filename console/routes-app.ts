// Console pages and actions of applications (DeploymentConfigs), builds and pods: add an app from
// an uploaded archive or a git URL, scale, roll out, roll back, environment, expose; build logs
// and pod logs streamed through from the API.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Hono } from 'hono';
import { appDeploymentSpec, buildConfigSpec, serviceSpec, type AppSource } from '../cli/app-source.ts';
import { projectPath, type ConsoleApi } from './api.ts';
import { badField, failure, field, outcome, render, SECURITY_HEADERS, type ConsoleContext, type ConsoleEnv } from './context.ts';
import { buildConfigOf, newestFirst, rightsIn, routesOf, routeUrl, routerPorts, type Obj } from './data.ts';
import { plainError } from './errors.ts';
import { PUSH_HEADER } from '../shared/push/topics.ts';
import { AppPage, AppPods, type AppDetail } from './views/app.tsx';
import { BuildPage, BuildsPage, PodPage } from './views/builds.tsx';
import { NewAppPage } from './views/new-app.tsx';
import { projectUrl } from './views/projects.tsx';

const enc = encodeURIComponent;
const dcPath = (project: string, name: string, rest = '') => projectPath(project, `/deploymentconfigs/${enc(name)}${rest}`);

async function appDetail(api: ConsoleApi, project: string, name: string): Promise<AppDetail> {
  const p = (rest: string) => projectPath(project, rest);
  // One round of calls in parallel: the builds are the project's, picked by the DC's build config
  // afterwards, rather than asked for once the DC is known (a second round).
  const [dc, pods, rcs, allBuilds, services, routes, ports] = await Promise.all([
    api.get<Obj>(dcPath(project, name)),
    api.items<Obj>(p(`/pods?labelSelector=${enc(`deploymentconfig=${name}`)}`)),
    api.items<Obj>(p(`/replicationcontrollers?labelSelector=${enc(`deploymentconfig=${name}`)}`)),
    api.items<Obj>(p('/builds')),
    api.items<Obj>(p('/services')),
    api.items<Obj>(p('/routes')),
    routerPorts(api),
  ]);
  const bc = buildConfigOf(dc);
  const builds = allBuilds.filter((b) => b.metadata.labels?.['berth.io/buildconfig'] === bc);
  const mine = routesOf(dc, services, routes);
  return {
    project,
    dc,
    pods: pods.sort(newestFirst),
    revisions: rcs.sort(newestFirst),
    builds: builds.sort(newestFirst),
    services: mine.services,
    routes: mine.routes.map((route) => ({ route, url: routeUrl(route, ports) })),
  };
}

/** `NAME=value` lines → env entries; the first bad line names itself. */
function parseEnv(text: string): { env: { name: string; value: string }[] } | { error: string } {
  const env: { name: string; value: string }[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/.exec(line);
    if (!m) return { error: `line ${i + 1} ("${line.slice(0, 40)}") is not NAME=value` };
    env.push({ name: m[1]!, value: m[2]! });
  }
  return { env };
}

/** Streams an API log (build or pod) through to the browser as plain text, with `headers` added. */
async function passLog(c: ConsoleContext, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await c.get('api').fetch('GET', path);
  if (!res.ok) return c.text(plainError(res.status, await res.json().catch(() => undefined)).title, res.status as 400, SECURITY_HEADERS);
  const push = res.headers.get(PUSH_HEADER);
  return new Response(res.body, { status: 200, headers: { ...SECURITY_HEADERS, ...headers, ...(push ? { [PUSH_HEADER]: push } : {}), 'Content-Type': 'text/plain; charset=utf-8' } });
}

const FINISHED = new Set(['Complete', 'Failed', 'Error', 'Cancelled']);

/**
 * A build's log from byte `offset`, followed while the build runs. The API ends a follow when the
 * build ends, or sooner where responses cannot stay open (on Lambda it answers what is written so
 * far): `X-Build-Finished` tells the page's script whether to come back for more from where it got to.
 */
async function buildLog(c: ConsoleContext): Promise<Response> {
  const { project, build } = c.req.param() as { project: string; build: string };
  const offset = c.req.query('offset') ?? '0';
  if (!/^\d{1,12}$/.test(offset)) return c.text('offset: a byte count', 400, SECURITY_HEADERS);
  const b = await c.get('api').call<Obj>('GET', projectPath(project, `/builds/${enc(build)}`));
  if (!b.ok) return c.text(plainError(b.status, b.body).title, b.status as 400, SECURITY_HEADERS);
  // Read before the log: a build that had ended by then has all of its log in this answer.
  const finished = FINISHED.has(b.body.status?.phase ?? 'New');
  return passLog(c, projectPath(project, `/builds/${enc(build)}/log?follow=true&offset=${offset}`), { 'X-Build-Finished': String(finished) });
}

/** What `berth new-app` creates, in order; on a refusal the ones made before go again. */
async function createApp(api: ConsoleApi, project: string, name: string, source: AppSource, builder: { name: string; image: string }) {
  const secret = () => crypto.randomUUID().replaceAll('-', '');
  const metadata = { name, labels: { app: name }, annotations: { 'berth.io/generated-by': 'BerthConsole' } };
  const objects = [
    ['imagestreams', {}],
    ['buildconfigs', buildConfigSpec({ name, source, builder, env: [], secret })],
    ['deploymentconfigs', appDeploymentSpec(name, [])],
    ['services', serviceSpec(name)],
  ] as const;
  const made: string[] = [];
  for (const [plural, spec] of objects) {
    const r = await api.call('POST', projectPath(project, `/${plural}`), { metadata, spec });
    if (!r.ok) {
      for (const done of made.reverse()) await api.call('DELETE', projectPath(project, `/${done}/${enc(name)}`));
      return r;
    }
    made.push(plural);
  }
  return undefined;
}

export function registerAppPages(con: Hono<ConsoleEnv>): void {
  con.get('/p/:project/apps/:app', async (c) => {
    const { project, app } = c.req.param();
    const api = c.get('api');
    const [detail, rights] = await Promise.all([appDetail(api, project, app), rightsIn(api, project)]);
    return render(c, AppPage({ viewer: c.get('viewer'), detail, rights }));
  });
  con.get('/p/:project/apps/:app/pods', async (c) => {
    const { project, app } = c.req.param();
    const pods = await c.get('api').get<{ items: Obj[] }>(projectPath(project, `/pods?labelSelector=${enc(`deploymentconfig=${app}`)}`));
    return c.html(AppPods({ project, app, pods: pods.items.sort(newestFirst) }), 200, SECURITY_HEADERS);
  });

  const back = (c: ConsoleContext) => projectUrl(c.req.param('project')!, `/apps/${enc(c.req.param('app')!)}`);
  con.post('/p/:project/apps/:app/scale', async (c) => {
    const text = await field(c, 'replicas');
    if (!/^\d{1,4}$/.test(text)) return failure(c, badField('Replicas', 'a whole number from 0 to 1000'), back(c));
    return outcome(c, await c.get('api').call('PUT', dcPath(c.req.param('project'), c.req.param('app'), '/scale'), { replicas: Number(text) }), back(c));
  });
  con.post('/p/:project/apps/:app/rollout', async (c) => outcome(c, await c.get('api').call('POST', dcPath(c.req.param('project'), c.req.param('app'), '/instantiate')), back(c)));
  con.post('/p/:project/apps/:app/rollback', async (c) => {
    const text = await field(c, 'toRevision');
    if (text && !/^\d{1,6}$/.test(text)) return failure(c, badField('Revision', 'a revision number'), back(c));
    return outcome(c, await c.get('api').call('POST', dcPath(c.req.param('project'), c.req.param('app'), '/rollback'), text ? { toRevision: Number(text) } : {}), back(c));
  });
  con.post('/p/:project/apps/:app/env', async (c) => {
    const parsed = parseEnv(await field(c, 'env'));
    if ('error' in parsed) return failure(c, badField('Environment', parsed.error), back(c));
    const api = c.get('api');
    const path = dcPath(c.req.param('project'), c.req.param('app'));
    // The controller writes the DeploymentConfig's status while it rolls out or scales: a conflict
    // with such a write is not one with the person's edit, which is put again on what is there now.
    for (let attempt = 1; ; attempt++) {
      const dc = await api.call<Obj>('GET', path);
      if (!dc.ok) return outcome(c, dc, back(c));
      const [first, ...rest] = dc.body.spec.template.spec.containers;
      const kept = (first.env ?? []).filter((e: { valueFrom?: unknown }) => e.valueFrom !== undefined);
      const spec = { ...dc.body.spec, template: { ...dc.body.spec.template, spec: { ...dc.body.spec.template.spec, containers: [{ ...first, env: [...parsed.env, ...kept] }, ...rest] } } };
      const put = await api.call('PUT', path, { metadata: dc.body.metadata, spec });
      if (put.status !== 409 || attempt === 8) return outcome(c, put, back(c));
      await sleep(50 * attempt);
    }
  });
  con.post('/p/:project/apps/:app/expose', async (c) => {
    const { project, app } = c.req.param();
    const api = c.get('api');
    const host = await field(c, 'host');
    const tls = await field(c, 'tls');
    if (tls && tls !== 'edge') return failure(c, badField('TLS', 'choose none or edge'), back(c));
    const detail = await appDetail(api, project, app);
    const service = detail.services[0];
    if (!service) return failure(c, badField('Service', `application ${app} has no service to expose`), back(c));
    const spec = { to: { name: service.metadata.name }, ...(host ? { host } : {}), ...(tls ? { tls: { termination: tls } } : {}) };
    return outcome(c, await api.call('POST', projectPath(project, '/routes'), { metadata: { name: service.metadata.name }, spec }), back(c));
  });

  con.get('/p/:project/new-app', async (c) => {
    const project = c.req.param('project');
    const api = c.get('api');
    await api.get(projectPath(project));
    const [builders, rights] = await Promise.all([api.items('/api/v1/builderimages'), rightsIn(api, project)]);
    return render(c, NewAppPage({ viewer: c.get('viewer'), project, builders, rights }));
  });
  con.post('/p/:project/new-app', async (c) => {
    const project = c.req.param('project');
    const here = projectUrl(project, '/new-app');
    const api = c.get('api');
    const form = await c.req.parseBody();
    const name = typeof form.name === 'string' ? form.name.trim() : '';
    const git = typeof form.git === 'string' ? form.git.trim() : '';
    const archive = form.archive instanceof File && form.archive.size > 0 ? form.archive : undefined;
    if (!name) return failure(c, badField('Name', 'the application needs a name'), here);
    if (Boolean(archive) === Boolean(git)) return failure(c, badField('Source', 'give either an archive of the source directory or a git URL'), here);
    const builders = await api.items<{ name: string; image: string }>('/api/v1/builderimages');
    const builder = builders.find((b) => b.name === form.builder);
    if (!builder) return failure(c, badField('Builder', `choose one of ${builders.map((b) => b.name).join(', ') || '(none offered)'}`), here);
    const [uri, ref] = git.split('#');
    const source: AppSource = archive ? { type: 'dir', dir: archive.name } : { type: 'git', uri: uri!, ...(ref ? { ref } : {}) };
    const refused = await createApp(api, project, name, source, builder);
    if (refused) return outcome(c, refused, here);
    if (!archive) return c.redirect(projectUrl(project), 303);
    const bytes = new Uint8Array(await archive.arrayBuffer());
    const type = bytes[0] === 0x1f && bytes[1] === 0x8b ? 'application/gzip' : 'application/x-tar';
    const res = await api.fetch('POST', projectPath(project, `/buildconfigs/${enc(name)}/instantiatebinary?name=${enc(archive.name)}`), bytes, type);
    const body: any = await res.json().catch(() => undefined);
    if (!res.ok) return failure(c, plainError(res.status, body), projectUrl(project));
    return c.redirect(projectUrl(project, `/builds/${enc(body.metadata.name)}`), 303);
  });

  con.get('/p/:project/builds', async (c) => {
    const project = c.req.param('project');
    const api = c.get('api');
    const [builds, rights] = await Promise.all([api.get<{ items: Obj[] }>(projectPath(project, '/builds')), rightsIn(api, project)]);
    return render(c, BuildsPage({ viewer: c.get('viewer'), project, builds: builds.items.sort(newestFirst), rights }));
  });
  con.get('/p/:project/builds/:build', async (c) => {
    const { project, build } = c.req.param();
    const api = c.get('api');
    const [b, rights] = await Promise.all([api.get<Obj>(projectPath(project, `/builds/${enc(build)}`)), rightsIn(api, project)]);
    return render(c, BuildPage({ viewer: c.get('viewer'), project, build: b, rights }));
  });
  con.get('/p/:project/builds/:build/log', buildLog);
  con.post('/p/:project/builds/:build/cancel', async (c) => {
    const { project, build } = c.req.param();
    const here = projectUrl(project, `/builds/${enc(build)}`);
    return outcome(c, await c.get('api').call('POST', projectPath(project, `/builds/${enc(build)}/cancel`)), here);
  });
  con.get('/p/:project/pods/:pod', async (c) => {
    const { project, pod } = c.req.param();
    const api = c.get('api');
    const [p, rights] = await Promise.all([api.get<Obj>(projectPath(project, `/pods/${enc(pod)}`)), rightsIn(api, project)]);
    return render(c, PodPage({ viewer: c.get('viewer'), project, pod: p, rights }));
  });
  con.get('/p/:project/pods/:pod/log', (c) => passLog(c, projectPath(c.req.param('project'), `/pods/${enc(c.req.param('pod'))}/log?follow=true&tail=500`)));
}
