// The console's pages and actions against the real API over DynamoDB Local: sign in, projects,
// the overview, adding an app from an uploaded archive, scale, environment, members, a view
// user who sees no changing buttons and is refused when forcing one, streamed build logs.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { plainError } from '../../console/errors.ts';
import { ensureSharedProject } from '../../shared/project/openshift.ts';
import { ensureSharedTemplates } from '../../shared/templates/shared-templates.ts';
import { makeTar } from '../builds/tar-fixtures.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { ConsoleClient } from '../support/console.ts';

let api: TestApi;
const PROJECT = 'shop';

/** The POST forms a page offers, sign-out aside: what a user could change from it. */
const changingForms = (html: string): string[] => [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]!).filter((a) => a !== '/console/signout');

async function signedIn(name: string): Promise<ConsoleClient> {
  await api.user(name);
  const c = new ConsoleClient(api.app);
  expect((await c.signIn(name, `password-${name}`)).status).toBe(303);
  return c;
}

beforeAll(async () => {
  api = await testApi({ builderImages: [{ name: 'python', image: '127.0.0.1:7500/berth/python:3.11' }], router: { httpPort: 18080, httpsPort: 18443 }, watch: { maxSeconds: 2, pollMs: 50 } });
});

describe('signing in', () => {
  it('a wrong password answers 401 in plain words and sets no cookie; the right one opens a session', async () => {
    await api.user('ann');
    const c = new ConsoleClient(api.app);
    const wrong = await c.signIn('ann', 'not-her-password');
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('Wrong username or password');
    expect(wrong.setCookie).toBeUndefined();
    const right = await c.signIn('ann', 'password-ann');
    expect(right.status).toBe(303);
    expect(right.location).toBe('/console/projects');
    expect((await c.get('/console/projects')).html).toContain('You have no projects yet');
  });

  it('a page without a session sends the browser to sign in, coming back afterwards', async () => {
    const c = new ConsoleClient(api.app);
    const r = await c.get('/console/p/shop');
    expect(r.status).toBe(303);
    expect(r.location).toBe('/console/signin?next=%2Fconsole%2Fp%2Fshop');
    await api.user('back');
    const login = await c.request('POST', '/console/signin?next=%2Fconsole%2Fprojects%3Fx', { form: { username: 'back', password: 'password-back' }, headers: { Origin: 'http://localhost' } });
    expect(login.location).toBe('/console/projects?x');
    const offsite = await c.request('POST', '/console/signin?next=%2F%2Fevil.example', { form: { username: 'back', password: 'password-back' }, headers: { Origin: 'http://localhost' } });
    expect(offsite.location).toBe('/console/projects');
  });
});

describe('projects and applications', () => {
  let owner: ConsoleClient;
  beforeAll(async () => {
    owner = await signedIn('olga');
  });

  it('creates a project from the form and shows its overview; a bad name is refused naming the field', async () => {
    const bad = await owner.post('/console/projects', { name: 'Not A Name' });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain('metadata.name');
    const made = await owner.post('/console/projects', { name: PROJECT, displayName: 'The shop' });
    expect(made.status).toBe(303);
    expect(made.location).toBe(`/console/p/${PROJECT}`);
    const page = await owner.get(`/console/p/${PROJECT}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('No applications yet');
    expect(changingForms(page.html)).toContain(`/console/p/${PROJECT}/delete`);
    expect((await owner.get('/console/projects')).html).toContain('The shop');
  });

  it('adds an app from an uploaded archive: the objects of new-app and a binary build with the archive', async () => {
    const archive = await makeTar([{ name: 'wsgi.py', body: readFileSync('test/fixtures/apps/wsgi-stdlib/wsgi.py') }], { gzip: true });
    const form = new FormData();
    form.set('_csrf', owner.csrf!);
    form.set('name', 'web');
    form.set('builder', 'python');
    form.set('archive', new File([archive], 'web.tar.gz', { type: 'application/gzip' }));
    const r = await owner.request('POST', `/console/p/${PROJECT}/new-app`, { form, headers: { Origin: 'http://localhost' } });
    expect(r.status, r.html).toBe(303);
    expect(r.location).toBe(`/console/p/${PROJECT}/builds/web-1`);
    for (const plural of ['imagestreams', 'buildconfigs', 'deploymentconfigs', 'services']) {
      expect((await api.call('GET', `/api/v1/projects/${PROJECT}/${plural}/web`, api.adminToken)).status).toBe(200);
    }
    const stored = await api.builds.sources.get({ kind: 'Build', project: PROJECT, name: 'web-1' });
    const chunks: Buffer[] = [];
    for await (const chunk of stored!) chunks.push(Buffer.from(chunk as Buffer));
    expect(Buffer.concat(chunks).equals(archive)).toBe(true);
  });

  it('adds an app from a git URL: its BuildConfig builds that repository and branch', async () => {
    const r = await owner.post(`/console/p/${PROJECT}/new-app`, { name: 'fromgit', builder: 'python', git: 'https://git.example.com/org/shop.git#main' });
    expect(r.status, r.html).toBe(303);
    expect(r.location).toBe(`/console/p/${PROJECT}`);
    const bc = (await api.call('GET', `/api/v1/projects/${PROJECT}/buildconfigs/fromgit`, api.adminToken)).body;
    expect(bc.spec.source.git).toEqual({ uri: 'https://git.example.com/org/shop.git', ref: 'main' });
    expect(bc.spec.strategy.sourceStrategy.from.name).toBe('127.0.0.1:7500/berth/python:3.11');
    for (const plural of ['imagestreams', 'deploymentconfigs', 'services']) expect((await api.call('DELETE', `/api/v1/projects/${PROJECT}/${plural}/fromgit`, api.adminToken)).status).toBeLessThan(300);
    expect((await api.call('DELETE', `/api/v1/projects/${PROJECT}/buildconfigs/fromgit`, api.adminToken)).status).toBeLessThan(300);
  });

  it('refuses an app with no source, naming the field, and creates nothing', async () => {
    const r = await owner.post(`/console/p/${PROJECT}/new-app`, { name: 'nosrc', builder: 'python' });
    expect(r.status).toBe(400);
    expect(r.html).toContain('Source');
    expect((await api.call('GET', `/api/v1/projects/${PROJECT}/buildconfigs/nosrc`, api.adminToken)).status).toBe(404);
  });

  it('follows a running build log live over one response, then resumes from the byte reached', async () => {
    const ref = { kind: 'Build', project: PROJECT, name: 'web-1' };
    await api.builds.logs.append(ref, 'Receiving source\n');
    const page = await owner.get(`/console/p/${PROJECT}/builds/web-1`);
    expect(page.html).toContain(`data-stream="/console/p/${PROJECT}/builds/web-1/log" data-resume="offset"`);
    // One response, open while the build runs: the first line now, the next when it is written.
    const res = await api.app.request(`http://localhost/console/p/${PROJECT}/builds/web-1/log`, { headers: { Cookie: owner.cookie! } });
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Build-Finished')).toBe('false');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe('Receiving source\n');
    await api.builds.logs.append(ref, 'Build complete\n');
    const build = (await api.store.get(ref))!;
    await api.store.updateStatus({ ...build, status: { ...(build.status as object), phase: 'Complete' } });
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('Build complete\n');
    // Coming back from the byte reached: only what follows, and the build is known to be over.
    const again = await api.app.request(`http://localhost/console/p/${PROJECT}/builds/web-1/log?offset=${Buffer.byteLength(first)}`, { headers: { Cookie: owner.cookie! } });
    expect(again.headers.get('X-Build-Finished')).toBe('true');
    expect(await again.text()).toBe('Build complete\n');
    expect((await owner.get(`/console/p/${PROJECT}/builds/web-1/log?offset=-1`)).status).toBe(400);
  });

  it('the overview shows the app, its pods, last build, route URL with the router port, and the quota', async () => {
    const base = `/api/v1/projects/${PROJECT}`;
    expect((await api.call('POST', `${base}/routes`, api.adminToken, { metadata: { name: 'web' }, spec: { host: 'web.apps.test', to: { name: 'web' } } })).status).toBe(201);
    expect((await api.call('POST', `${base}/resourcequotas`, api.adminToken, { metadata: { name: 'q' }, spec: { hard: { pods: 4 } } })).status).toBe(201);
    const body = (await owner.get(`/console/p/${PROJECT}/overview`)).html;
    expect(body).toContain('data-app="web"');
    expect(body).toContain('http://web.apps.test:18080/');
    expect(body).toMatch(/web-1<\/a> <span class="pill s-ok">Complete/);
    expect(body).toContain(`data-watch="/console/p/${PROJECT}/overview"`);
  });

  it('the live overview is a long poll from the resourceVersion shown: 204 while nothing changes, the new part as soon as something does', async () => {
    const since = (html: string) => /data-since="([^"]+)"/.exec(html)![1]!.replaceAll('&quot;', '"');
    const shown = since((await owner.get(`/console/p/${PROJECT}`)).html);
    const began = Date.now();
    const idle = await owner.get(`/console/p/${PROJECT}/overview?since=${encodeURIComponent(shown)}`);
    expect(idle.status).toBe(204);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1_500);
    const held = owner.get(`/console/p/${PROJECT}/overview?since=${encodeURIComponent(shown)}`);
    await new Promise((r) => setTimeout(r, 200));
    await api.store.create({ kind: 'Pod', metadata: { name: 'web-1-live', project: PROJECT, labels: { deploymentconfig: 'web' } }, spec: { containers: [{ name: 'web', image: 'web' }] }, status: { phase: 'Pending' } } as never);
    const woke = await held;
    expect(woke.status).toBe(200);
    expect(woke.html).toContain('data-pod="web-1-live"');
    expect(since(woke.html)).not.toBe(shown);
    await api.store.delete({ kind: 'Pod', project: PROJECT, name: 'web-1-live' });
    // A cursor that is not one is refused naming it; the page's script then asks for the whole part again.
    const bad = await owner.get(`/console/p/${PROJECT}/overview?since=garbage`);
    expect(bad.status).toBe(422);
    expect(bad.html).toContain('resourceVersion');
  });

  it('scales from the form; a replica count that is not a number is refused naming the field', async () => {
    const bad = await owner.post(`/console/p/${PROJECT}/apps/web/scale`, { replicas: 'two' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('Replicas');
    const ok = await owner.post(`/console/p/${PROJECT}/apps/web/scale`, { replicas: '2' });
    expect(ok.status).toBe(303);
    expect((await api.call('GET', `/api/v1/projects/${PROJECT}/deploymentconfigs/web`, api.adminToken)).body.spec.replicas).toBe(2);
  });

  it('edits the environment; a line that is not NAME=value is refused and changes nothing', async () => {
    const bad = await owner.post(`/console/p/${PROJECT}/apps/web/env`, { env: 'GOOD=1\nnot a pair' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('line 2');
    const ok = await owner.post(`/console/p/${PROJECT}/apps/web/env`, { env: 'GREETING=hello world\nMODE=prod' });
    expect(ok.status).toBe(303);
    const dc = (await api.call('GET', `/api/v1/projects/${PROJECT}/deploymentconfigs/web`, api.adminToken)).body;
    expect(dc.spec.template.spec.containers[0].env).toEqual([{ name: 'GREETING', value: 'hello world' }, { name: 'MODE', value: 'prod' }]);
    expect((await owner.get(`/console/p/${PROJECT}/apps/web`)).html).toContain('GREETING=hello world\nMODE=prod');
  });

  it('a view member sees the project but no button that changes anything, and is refused (403) when forcing one', async () => {
    const viewer = await signedIn('vera');
    expect((await owner.post(`/console/p/${PROJECT}/members/add`, { name: 'vera', role: 'view', kind: 'User' })).status).toBe(303);
    for (const page of [`/console/p/${PROJECT}`, `/console/p/${PROJECT}/apps/web`, `/console/p/${PROJECT}/builds/web-1`, `/console/p/${PROJECT}/members`]) {
      const r = await viewer.get(page);
      expect(r.status, page).toBe(200);
      expect(changingForms(r.html), page).toEqual([]);
    }
    const forced = await viewer.post(`/console/p/${PROJECT}/apps/web/scale`, { replicas: '0' });
    expect(forced.status).toBe(403);
    expect(forced.html).toContain('You are not allowed to do this');
    expect((await api.call('GET', `/api/v1/projects/${PROJECT}/deploymentconfigs/web`, api.adminToken)).body.spec.replicas).toBe(2);
  });
});

describe('creating from a template with a parameter form', () => {
  const TPL_PROJECT = 'tpl';
  const base = `/console/p/${TPL_PROJECT}`;
  const form = `${base}/templates/${TPL_PROJECT}/greeter`;
  const greeter = {
    apiVersion: 'template.openshift.io/v1',
    kind: 'Template',
    metadata: { name: 'greeter', annotations: { 'openshift.io/display-name': 'Greeter', description: 'A greeting kept in a ConfigMap.' } },
    parameters: [
      { name: 'NAME', displayName: 'Application name', description: 'Names every object.', required: true },
      { name: 'GREETING', displayName: 'Greeting', value: 'hello' },
      { name: 'TOKEN', displayName: 'Access token', generate: 'expression', from: '[a-z0-9]{24}' },
    ],
    objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '${NAME}' }, data: { greeting: '${GREETING}', token: '${TOKEN}' } }],
    message: 'Your greeter ${NAME} is made. Its token is ${TOKEN}.',
  };
  let owner: ConsoleClient;
  const configMap = (name: string) => api.call('GET', `/api/v1/projects/${TPL_PROJECT}/configmaps/${name}`, api.adminToken);
  const dataOf = async (name: string) => (await configMap(name)).body.spec.data;

  beforeAll(async () => {
    await ensureSharedProject(api.store);
    await ensureSharedTemplates(api.store);
    owner = await signedIn('tina');
    expect((await owner.post('/console/projects', { name: TPL_PROJECT })).status).toBe(303);
    expect((await api.call('POST', `/api/v1/projects/${TPL_PROJECT}/templates`, api.adminToken, greeter)).status).toBe(201);
  });

  it("lists the project's templates and the shared project's", async () => {
    const page = await owner.get(`${base}/templates`);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`href="${form}"`);
    expect(page.html).toMatch(/data-template="greeter">.*?<td>this project<\/td>/s);
    expect(page.html).toContain(`href="${base}/templates/openshift/postgresql-persistent"`);
    expect(page.html).toMatch(/data-template="postgresql-persistent">.*?<td>openshift<\/td>/s);
  });

  it('shows a field per parameter: its label, description, required mark, default, and generated ones blank', async () => {
    const page = (await owner.get(form)).html;
    expect(page).toMatch(/<label for="p_NAME">Application name \* <span class="help">NAME — Names every object\. Required\.<\/span><input id="p_NAME" name="p_NAME" value="" required=""\/>/);
    expect(page).toMatch(/<input id="p_GREETING" name="p_GREETING" value="hello"\/>/);
    expect(page).toMatch(/TOKEN — Leave blank to have one generated\.<\/span><input id="p_TOKEN" name="p_TOKEN" value="" placeholder="generated"\/>/);
    const shared = await owner.get(`${base}/templates/openshift/postgresql-persistent`);
    expect(shared.status).toBe(200);
    expect(shared.html).toContain('name="p_POSTGRESQL_PASSWORD"');
  });

  it('a missing required parameter is named by its label at its field, the values typed are kept, and nothing is made', async () => {
    const r = await owner.post(form, { p_NAME: '  ', p_GREETING: 'good day' });
    expect(r.status).toBe(422);
    expect(r.html).toContain('Something in the form is not right');
    expect(r.html).toContain('<span>Application name (NAME): required, fill it in. </span>');
    expect(r.html).toMatch(/<span class="field-error" id="p_NAME-error">required, fill it in\.<\/span><input id="p_NAME" name="p_NAME" value="" required="" aria-invalid="true" aria-describedby="p_NAME-error"\/>/);
    expect(r.html).toContain('value="good day"');
    expect((await api.call('GET', `/api/v1/projects/${TPL_PROJECT}/configmaps`, api.adminToken)).body.items).toEqual([]);
  });

  it("makes the objects with the values given, defaulted and generated, and shows the template's message once", async () => {
    const r = await owner.post(form, { p_NAME: 'hi', p_GREETING: '', p_TOKEN: '', p_UNKNOWN: 'ignored' });
    expect(r.status, r.html).toBe(200);
    expect(r.html).toContain('Made 1 object: configmap/hi.');
    const data = await dataOf('hi');
    expect(data.greeting).toBe('hello');
    expect(data.token).toMatch(/^[a-z0-9]{24}$/);
    expect(r.html).toContain(`Your greeter hi is made. Its token is ${data.token}.`);
    expect(r.html).toMatch(new RegExp(`<td>TOKEN</td><td><code>${data.token}</code>`));
    expect(r.html).toContain('This is shown once');
    // The form page itself never holds a generated value.
    expect((await owner.get(form)).html).not.toContain(data.token);
  });

  it('an object that exists already is refused in plain words naming it, and the rest is not made', async () => {
    const r = await owner.post(form, { p_NAME: 'hi', p_GREETING: 'changed' });
    expect(r.status).toBe(409);
    expect(r.html).toContain('It changed or exists already');
    expect(r.html).toContain('hi');
    expect((await dataOf('hi')).greeting).toBe('hello');
  });

  it('a template from a project other than this one or the shared one is not looked up (404)', async () => {
    const r = await owner.get(`${base}/templates/shop/greeter`);
    expect(r.status).toBe(404);
    expect(r.html).toContain('not &quot;shop&quot;');
  });

  it('a view member gets no template form link and is refused (403) when posting one', async () => {
    const viewer = await signedIn('vic');
    expect((await owner.post(`${base}/members/add`, { name: 'vic', role: 'view', kind: 'User' })).status).toBe(303);
    expect((await viewer.get(base)).html).not.toContain(`${base}/templates`);
    const r = await viewer.post(form, { p_NAME: 'byviewer' });
    expect(r.status).toBe(403);
    expect(r.html).toContain('You are not allowed to do this');
    expect((await configMap('byviewer')).status).toBe(404);
  });
});

describe('errors in plain words', () => {
  it.each([
    [403, { code: 'Forbidden', message: 'user "x" cannot create objects in project "p"' }, 'You are not allowed to do this', 'Ask an admin'],
    [403, { code: 'QuotaExceeded', message: 'exceeded quota: pods 4' }, 'Your project is at its quota', 'Scale something down'],
    [409, { code: 'AlreadyExists', message: 'deploymentconfig "web" exists' }, 'It changed or exists already', 'another name'],
    [429, { code: 'TooManyRequests', message: 'slow down' }, 'Too many requests', 'Wait a minute'],
    [503, undefined, 'The platform had a problem', 'Try again'],
  ])('%i %j reads "%s"', (status, body, title, hint) => {
    const e = plainError(status, body);
    expect(e.title).toBe(title);
    expect(e.hint).toContain(hint);
    if (body) expect(e.detail).toBe(body.message);
  });
});
