// `npm run bench -- console [--n=15] [--json]`: the web console in Debian's Chromium
// (playwright-core), served with the API (Hono app over DynamoDB Local) on loopback. Measures what
// a first load transfers (compressed JavaScript and CSS, the aim is ≤ 150 KB) and how long a page
// change takes (click to the next page shown, the aim is ≤ 200 ms), side by side in the same run
// with the floor: two static pages served by the same server, linking the same assets.
import { serve } from '@hono/node-server';
import { chromium, type Page } from 'playwright-core';
import { createApi } from '../shared/api/app.ts';
import { consoleAssets } from '../console/assets.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import { benchStore, DEV_PASSWORD } from './_users.ts';
import type { BenchResult } from './run.ts';

const PODS = 10;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** A static page linking the console's assets, boosted like the console's: the floor of a page change. */
function floorPage(name: string, other: string): string {
  const { js, css } = consoleAssets();
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name}</title><link rel="stylesheet" href="${css.path}"><script src="${js.path}" defer></script></head><body hx-boost="true"><main id="main"><h1 id="${name}">${name}</h1><a href="/floor/${other}">${other}</a></main></body></html>`;
}

/**
 * Milliseconds from a click on `link` until `shown` is on the page. The page is brought to the
 * front first (untimed), as the tab a person clicks in is: Chromium throttles animation frames in
 * a background tab, and Playwright waits on them before it clicks.
 */
async function change(page: Page, link: string, shown: string): Promise<number> {
  await page.bringToFront();
  await page.locator(link).first().waitFor();
  const t0 = performance.now();
  await page.locator(link).first().click();
  await page.locator(shown).first().waitFor();
  return performance.now() - t0;
}

export async function run(args: string[]): Promise<BenchResult> {
  const n = Number(args.find((a) => a.startsWith('--n='))?.slice(4) ?? 15);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const engine = await startDynamoLocal({ port: await freePort() });
  let server: { close(cb: () => void): void } | undefined;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const { store, identity } = await benchStore(engine.endpoint);
    const app = createApi({ store, identity });
    const port = await freePort();
    const fetch = (req: Request, env: unknown) => {
      const path = new URL(req.url).pathname;
      if (path === '/floor/a') return new Response(floorPage('a', 'b'), { headers: { 'Content-Type': 'text/html; charset=utf-8' } });
      if (path === '/floor/b') return new Response(floorPage('b', 'a'), { headers: { 'Content-Type': 'text/html; charset=utf-8' } });
      return app.fetch(req, env as never);
    };
    await new Promise<void>((resolve) => (server = serve({ fetch, port, hostname: '127.0.0.1' }, () => resolve())));
    const base = `http://127.0.0.1:${port}`;

    // A project with one application of PODS pods, written as the controllers would.
    const token = (await identity.login('dev', DEV_PASSWORD)).token;
    const call = (method: string, path: string, body: unknown) => app.request(path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    await call('POST', '/api/v1/projects', { metadata: { name: 'bench' } });
    await call('POST', '/api/v1/projects/bench/deploymentconfigs', { metadata: { name: 'web' }, spec: { replicas: PODS, selector: { deploymentconfig: 'web' }, template: { metadata: { labels: { deploymentconfig: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:latest' }] } } } });
    for (let i = 0; i < PODS; i++) {
      await store.create({ kind: 'Pod', metadata: { name: `web-1-pod${i}`, project: 'bench', labels: { deploymentconfig: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:latest' }], host: 'local' }, status: { phase: 'Running', restartCount: 0 } } as never);
    }

    // First load: a fresh browser context, the sign-in page and then the overview.
    const context = await browser.newContext();
    const page = await context.newPage();
    const transferred = { js: 0, css: 0, html: 0 };
    page.on('requestfinished', async (req) => {
      const size = (await req.sizes()).responseBodySize;
      const type = req.resourceType();
      if (type === 'script') transferred.js += size;
      else if (type === 'stylesheet') transferred.css += size;
      else if (type === 'document') transferred.html += size;
    });
    await page.goto(`${base}/console/signin`);
    await page.getByLabel('Username').fill('dev');
    await page.getByLabel('Password').fill(DEV_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/projects$/);
    await page.goto(`${base}/console/p/bench`);
    await page.locator('[data-app="web"]').waitFor();
    const firstLoadKB = (transferred.js + transferred.css) / 1024;

    // Page changes: console overview ↔ builds tab, and the floor's a ↔ b; interleaved, one warm-up each.
    const floor = await context.newPage();
    await floor.goto(`${base}/floor/a`);
    const consoleMs: number[] = [];
    const toBuilds: number[] = [];
    const toOverview: number[] = [];
    const floorMs: number[] = [];
    const apiMs: number[] = [];
    const apiCall = async () => {
      const t0 = performance.now();
      await (await globalThis.fetch(`${base}/api/v1/projects/bench/pods`, { headers: { Authorization: `Bearer ${token}` } })).text();
      return performance.now() - t0;
    };
    for (let i = -1; i < n; i++) {
      const c1 = await change(page, 'nav.tabs a[href$="/builds"]', 'h1:text("Builds")');
      const c2 = await change(page, 'nav.tabs a[href="/console/p/bench"]', '[data-app="web"]');
      const f1 = await change(floor, 'a[href="/floor/b"]', 'h1#b');
      const f2 = await change(floor, 'a[href="/floor/a"]', 'h1#a');
      if (i >= 0) {
        consoleMs.push(c1, c2);
        toBuilds.push(c1);
        toOverview.push(c2);
        floorMs.push(f1, f2);
        apiMs.push(await apiCall());
      }
    }
    const c = median(consoleMs);
    const f = median(floorMs);
    const a = median(apiMs);
    return {
      notes: [
        `Chromium (/usr/bin/chromium) against the console on loopback (API → DynamoDB Local); the overview shows one app of ${PODS} pods.`,
        `Page change: click on a tab until the next page's content is shown (htmx-boosted), ${n} round trips after one warm-up, interleaved with the floor (two static pages on the same server, same assets) and one API call, as a second floor: a page is a few API calls, made in parallel.`,
      ],
      rows: [
        { measure: 'first load JS (gzip) KB', value: +(transferred.js / 1024).toFixed(1), aim: '' },
        { measure: 'first load CSS (gzip) KB', value: +(transferred.css / 1024).toFixed(1), aim: '' },
        { measure: 'first load JS+CSS KB', value: +firstLoadKB.toFixed(1), aim: '≤ 150' },
        { measure: 'page change, console, median ms', value: +c.toFixed(1), aim: '≤ 200' },
        { measure: '  to the builds page (1 API call), median ms', value: +median(toBuilds).toFixed(1), aim: '' },
        { measure: `  to the overview (1 API call, the overview), median ms`, value: +median(toOverview).toFixed(1), aim: '' },
        { measure: 'page change, static floor, median ms', value: +f.toFixed(1), aim: '' },
        { measure: 'page change, console / floor', value: +(c / f).toFixed(2), aim: '' },
        { measure: 'one API call (list pods), median ms', value: +a.toFixed(1), aim: '' },
        { measure: 'page change, console / one API call', value: +(c / a).toFixed(2), aim: '' },
      ],
      figures: { firstLoadJsKB: +(transferred.js / 1024).toFixed(1), firstLoadCssKB: +(transferred.css / 1024).toFixed(1), firstLoadKB: +firstLoadKB.toFixed(1), pageChangeMs: +c.toFixed(1), toBuildsMs: +median(toBuilds).toFixed(1), toOverviewMs: +median(toOverview).toFixed(1), floorChangeMs: +f.toFixed(1), pageChangeOverFloor: +(c / f).toFixed(2), apiCallMs: +a.toFixed(1), pageChangeOverApiCall: +(c / a).toFixed(2) },
    };
  } finally {
    await browser.close();
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    await engine.stop();
  }
}
