import { serve } from '@hono/node-server';
import { chromium } from 'playwright-core';
import { createApi } from '../shared/api/app.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import { benchStore, DEV_PASSWORD } from './_users.ts';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const engine = await startDynamoLocal({ port: await freePort() });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
let server: any;
try {
  const { store, identity } = await benchStore(engine.endpoint);
  const app = createApi({ store, identity });
  const port = await freePort();
  await new Promise<void>((resolve) => (server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve())));
  const base = `http://127.0.0.1:${port}`;
  const token = (await identity.login('dev', DEV_PASSWORD)).token;
  await app.request('/api/v1/projects', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'bench' } }) });
  await app.request('/api/v1/projects/bench/deploymentconfigs', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'web' }, spec: { replicas: 1, selector: { deploymentconfig: 'web' }, template: { metadata: { labels: { deploymentconfig: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:latest' }] } } } }) });
  const page = await (await browser.newContext()).newPage();
  const t = () => performance.now().toFixed(0);
  page.on('request', (r) => console.log(t(), 'req', r.method(), r.url().replace(base, ''), r.headers()['hx-request'] ?? ''));
  page.on('requestfinished', (r) => console.log(t(), 'done', r.url().replace(base, '')));
  page.on('console', (m) => console.log(t(), 'console', m.text()));
  await page.goto(`${base}/console/signin`);
  await page.getByLabel('Username').fill('dev');
  await page.getByLabel('Password').fill(DEV_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/projects$/);
  await page.goto(`${base}/console/p/bench`);
  await page.locator('[data-app="web"]').waitFor();
  for (let i = 0; i < 3; i++) {
    console.log(t(), 'click builds');
    await page.locator('nav.tabs a[href$="/builds"]').first().click();
    console.log(t(), 'clicked');
    await page.locator('h1:text("Builds")').first().waitFor();
    console.log(t(), 'shown builds');
    await page.locator('nav.tabs a[href="/console/p/bench"]').first().click();
    console.log(t(), 'clicked');
    await page.locator('[data-app="web"]').first().waitFor();
    console.log(t(), 'shown overview');
  }
} finally { await browser.close(); server?.close(); await engine.stop(); }
