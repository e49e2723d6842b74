// The web console in a real browser (Debian's Chromium driven by playwright-core) against the
// real `npm run up`: sign in, create a project, add an app from an uploaded archive of the wsgi
// sample, watch its build log stream, open its URL through the router, scale it to 2 and see two
// pods, roll back, and as a `view` member see no changing buttons and get a 403 when forcing one.
// The screenshots it takes are the README's (docs/console/*.png).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTar } from '../builds/tar-fixtures.ts';
import { removeProject, sampleImage, startPlatform, until, type Platform } from './sample-app.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const home = mkdtempSync(join(tmpdir(), 'berth-e2e-console-'));
const PROJECT = `console-${Math.random().toString(36).slice(2, 8)}`;
const SHOTS = join(import.meta.dirname, '../../docs/console');
let p: Platform;
let browser: Browser;

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.goto(`${p.up.apiUrl}/console`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/projects$/);
}

/** The POST forms on the page, sign-out aside: what the user could change from here. */
const changingForms = (page: Page) => page.$$eval('form[method="post"]', (forms) => forms.map((f) => f.getAttribute('action')).filter((a) => a !== '/console/signout'));

beforeAll(async () => {
  await sampleImage(docker);
  p = await startPlatform(home, { PAAS_BUILDER_VARIANT: 'test' });
  for (const name of ['carol', 'victor']) expect((await p.api('POST', '/api/v1/users', { name, password: `${name}-console-password` })).status).toBe(201);
  // Every host name (the routes' generated ones) resolves to loopback, where the router listens.
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--host-resolver-rules=MAP * 127.0.0.1'] });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (p) await removeProject(p, PROJECT).catch(() => undefined);
  await p?.up.stop();
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('the console in a browser', () => {
  it('signs in, creates a project and an app from an upload, streams the build, opens the app, scales, rolls back; a viewer changes nothing', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
    await page.goto(`${p.up.apiUrl}/console`);
    await shot(page, 'sign-in');
    await signIn(page, 'carol', 'carol-console-password');

    await page.getByLabel(/^Name/).fill(PROJECT);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(new RegExp(`/console/p/${PROJECT}$`));

    // An archive of the wsgi sample, uploaded as the source of the first build.
    const archive = join(home, 'web.tar.gz');
    writeFileSync(archive, await makeTar([{ name: 'wsgi.py', body: readFileSync('test/fixtures/apps/wsgi-stdlib/wsgi.py') }], { gzip: true }));
    await page.getByRole('link', { name: 'Add an application' }).click();
    await page.getByLabel(/^Name/).fill('web');
    await page.getByLabel(/^Archive/).setInputFiles(archive);
    await shot(page, 'new-app');
    await page.getByRole('button', { name: 'Create and build' }).click();
    await page.waitForURL(/\/builds\/web-1$/);
    // The log grows while the build runs, then the stream ends with the build.
    const log = page.locator('pre.log');
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).not.toBe('');
    await page.locator('pre.log[data-done="1"]').waitFor({ timeout: 240_000 });
    expect(await log.textContent()).toMatch(/Push successful|pushed|Successfully/i);
    await shot(page, 'build-log');

    // Expose it and open its URL through the router.
    await page.goto(`${p.up.apiUrl}/console/p/${PROJECT}/apps/web`);
    await page.getByRole('button', { name: 'Expose web' }).click();
    const url = await until('the route URL did not show', async () => {
      await page.reload();
      return page.locator('a[data-route-url]').first().getAttribute('href', { timeout: 1000 }).catch(() => null);
    }, (u) => Boolean(u), 60_000);
    const app = await browser.newPage();
    await until('the app did not answer through the router', async () => (await app.goto(url!).catch(() => null))?.status(), (s) => s === 200, 120_000);
    expect(await app.textContent('body')).toContain('hello from wsgi.py');
    await app.close();

    // Scale to 2 and see two running pods in the overview, which updates by itself (a watch of the overview, no reload).
    await page.getByLabel('Replicas').fill('2');
    await page.getByRole('button', { name: 'Scale' }).click();
    await page.goto(`${p.up.apiUrl}/console/p/${PROJECT}`);
    const running = page.locator('[data-app="web"] li[data-pod] .pill', { hasText: 'Running' });
    await expect.poll(() => running.count(), { timeout: 120_000, interval: 1000 }).toBe(2);
    // The DeploymentConfig's status follows its pods' readiness; the page shows it without a reload.
    await expect.poll(() => page.locator('[data-app="web"] [data-ready]').textContent(), { timeout: 60_000, interval: 500 }).toBe('2');
    await shot(page, 'overview');

    // A second revision (an environment change), then back to the first.
    await page.goto(`${p.up.apiUrl}/console/p/${PROJECT}/apps/web`);
    await page.getByLabel(/^Environment/).fill('GREETING=hi');
    await page.getByRole('button', { name: 'Save environment' }).click();
    // The edit reaches the DeploymentConfig (else the page's words say why).
    await until('the environment was not saved', () => p.api('GET', `/api/v1/projects/${PROJECT}/deploymentconfigs/web`), (r) => JSON.stringify(r.body?.spec?.template?.spec?.containers?.[0]?.env ?? []).includes('GREETING'), 60_000)
      .catch(async (err: Error) => Promise.reject(new Error(`${err.message}; the page says: ${(await page.locator('main').innerText()).slice(0, 600)}`)));
    await until('revision 2 did not complete', () => p.api('GET', `/api/v1/projects/${PROJECT}/replicationcontrollers/web-2`), (r) => r.body?.status?.phase === 'Complete', 180_000);
    await page.reload();
    const back = page.getByRole('button', { name: 'Roll back to #1' });
    await back.click();
    const dc = await until('the rollback did not happen', () => p.api('GET', `/api/v1/projects/${PROJECT}/deploymentconfigs/web`), (r) => r.body?.status?.details?.cause === 'Rollback');
    expect(dc.body.spec.template.spec.containers[0].env ?? []).toEqual([]);
    await page.reload();
    await page.locator('tr[data-revision="3"]').waitFor();
    await shot(page, 'app');

    // A view member: no changing buttons anywhere, and a forced scale is refused.
    await page.goto(`${p.up.apiUrl}/console/p/${PROJECT}/members`);
    await page.getByLabel('User name').fill('victor');
    await page.getByLabel('Role').selectOption('view');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.locator('td', { hasText: 'victor' }).waitFor({ timeout: 30_000 });

    const viewer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await signIn(viewer, 'victor', 'victor-console-password');
    for (const path of ['', '/apps/web', '/builds/web-1', '/members']) {
      await viewer.goto(`${p.up.apiUrl}/console/p/${PROJECT}${path}`);
      expect(await changingForms(viewer), path).toEqual([]);
    }
    await viewer.goto(`${p.up.apiUrl}/console/p/${PROJECT}`);
    await shot(viewer, 'viewer-phone');
    const csrf = await viewer.locator('input[name="_csrf"]').first().inputValue();
    const forced = await viewer.evaluate(async ({ target, token }) => {
      const res = await fetch(target, { method: 'POST', body: new URLSearchParams({ _csrf: token, replicas: '0' }) });
      return { status: res.status, text: await res.text() };
    }, { target: `/console/p/${PROJECT}/apps/web/scale`, token: csrf });
    expect(forced.status).toBe(403);
    expect(forced.text).toContain('You are not allowed to do this');
    expect((await p.api('GET', `/api/v1/projects/${PROJECT}/deploymentconfigs/web`)).body.spec.replicas).toBe(2);
  }, 600_000);

  it('fills in a template parameter form: the browser asks for the required field, a blank generated one is generated and shown once', async () => {
    const project = `${PROJECT}-tpl`;
    expect((await p.api('POST', '/api/v1/projects', { metadata: { name: project } })).status).toBe(201);
    const template = {
      apiVersion: 'template.openshift.io/v1',
      kind: 'Template',
      metadata: { name: 'notes-db', annotations: { 'openshift.io/display-name': 'Notes database settings', description: 'Connection settings for a notes database, kept in a Secret.' } },
      parameters: [
        { name: 'NAME', displayName: 'Name', description: 'Names the Secret.', required: true },
        { name: 'DB_USER', displayName: 'Database user', value: 'notes' },
        { name: 'DB_PASSWORD', displayName: 'Database password', description: 'The password of the database user.', generate: 'expression', from: '[a-zA-Z0-9]{16}' },
      ],
      objects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: '${NAME}' }, stringData: { user: '${DB_USER}', password: '${DB_PASSWORD}' } }],
      message: 'Secret ${NAME} holds the settings.\n\n  User:     ${DB_USER}\n  Password: ${DB_PASSWORD}',
    };
    expect((await p.api('POST', `/api/v1/projects/${project}/templates`, template)).status).toBe(201);
    expect((await p.api('POST', `/api/v1/projects/${project}/rolebindings`, { metadata: { name: 'admin-carol' }, spec: { role: 'admin', subjects: [{ kind: 'User', name: 'carol' }] } })).status).toBe(201);
    try {
      const page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
      await signIn(page, 'carol', 'carol-console-password');
      await page.goto(`${p.up.apiUrl}/console/p/${project}`);
      await page.getByRole('link', { name: 'From a template' }).click();
      await page.getByRole('link', { name: 'Notes database settings' }).click();
      await page.getByRole('button', { name: 'Create' }).waitFor();
      // The browser itself holds back a form with the required field empty.
      await page.getByRole('button', { name: 'Create' }).click();
      expect(await page.getByLabel(/^Name/).evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
      expect(await page.getByLabel(/^Database user/).inputValue()).toBe('notes');
      await page.getByLabel(/^Name/).fill('notes-settings');
      await shot(page, 'template-form');
      await page.getByRole('button', { name: 'Create' }).click();
      const message = page.locator('pre[data-template-message]');
      await message.waitFor({ timeout: 30_000 });
      const password = /Password: (\S+)/.exec((await message.textContent())!)![1]!;
      expect(password).toMatch(/^[a-zA-Z0-9]{16}$/);
      await shot(page, 'template-message');
      // Shown once: back on the form, the value is nowhere.
      await page.goBack();
      await page.reload();
      expect(await page.content()).not.toContain(password);
      const secret = await p.api('GET', `/api/v1/projects/${project}/secrets/notes-settings`);
      expect(secret.status).toBe(200);
    } finally {
      await removeProject(p, project).catch(() => undefined);
    }
  }, 120_000);
});
