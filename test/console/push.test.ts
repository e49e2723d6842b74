// The console in a real browser (Debian's Chromium driven by playwright-core) against an API
// served as on Lambda, where a watch or a build-log follow is answered at once, with push
// connections over DynamoDB Local and its stream: the overview and a running build's log stay
// live by being told of changes on one WebSocket, opened with a ticket (the session's token
// stays in its HttpOnly cookie), instead of asking every second or two.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { PUSH_PATH } from '../../shared/push/topics.ts';
import { startPushApiWithProject, type PushApi } from '../push/support.ts';

let p: PushApi;
let owner: string;
let base: string;
let browser: Browser;

/** What a page asked of the server, and what its WebSocket sent and was sent. */
interface Seen {
  requests: string[];
  /** Requests sent and not yet finished. */
  open: number;
  sockets: string[];
  sent: string[];
  received: string[];
}

async function signedInPage(): Promise<{ page: Page; seen: Seen }> {
  const page = await (await browser.newContext()).newPage();
  const seen: Seen = { requests: [], open: 0, sockets: [], sent: [], received: [] };
  page.on('request', (r) => (seen.requests.push(`${r.method()} ${new URL(r.url()).pathname}`), seen.open++));
  page.on('requestfinished', () => seen.open--);
  page.on('requestfailed', () => seen.open--);
  page.on('websocket', (ws) => {
    seen.sockets.push(ws.url());
    ws.on('framesent', (f) => seen.sent.push(String(f.payload)));
    ws.on('framereceived', (f) => seen.received.push(String(f.payload)));
  });
  await page.goto(`${base}/console`);
  await page.getByLabel('Username').fill('owner');
  await page.getByLabel('Password').fill('password-owner');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/projects$/);
  return { page, seen };
}

const count = (seen: Seen, request: string) => seen.requests.filter((r) => r === request).length;
const watching = (seen: Seen, path: string) => seen.received.some((m) => m === JSON.stringify({ type: 'watching', path }));

beforeAll(async () => {
  ({ p, owner } = await startPushApiWithProject('shop', { tableLogs: true }));
  base = p.url.replace(/^ws:/, 'http:').replace(PUSH_PATH, '');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
});

describe('the console where the server cannot hold a request', () => {
  it('keeps the overview live by being told: a new app shows, and nothing is asked while nothing changes', async () => {
    const { page, seen } = await signedInPage();
    await page.goto(`${base}/console/p/shop`);
    const overview = 'GET /console/p/shop/overview';
    // The first ask is answered at once, naming the push endpoint: the page opens its connection with a ticket.
    await expect.poll(() => watching(seen, '/api/v1/projects/shop/overview'), { timeout: 15_000 }).toBe(true);
    expect(count(seen, 'POST /console/push-ticket')).toBe(1);
    expect(seen.sockets).toHaveLength(1);
    expect(seen.sockets[0]).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+${PUSH_PATH}\\?ticket=[A-Za-z0-9_-]{43}$`));
    expect(seen.sent).toEqual([JSON.stringify({ watch: '/api/v1/projects/shop/overview' })]);

    const asked = count(seen, overview);
    const made = await p.api.call('POST', '/api/v1/projects/shop/deploymentconfigs', owner, {
      metadata: { name: 'shopfront' },
      spec: { replicas: 1, selector: { app: 'shopfront' }, template: { metadata: { labels: { app: 'shopfront' } }, spec: { containers: [{ name: 'web', image: '127.0.0.1:7500/shop/web:latest' }] } } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    await page.locator('#overview').getByText('shopfront').first().waitFor({ timeout: 15_000 });
    // Told once, asked once (a second notice of the same change may ask once more).
    expect(count(seen, overview) - asked).toBeGreaterThanOrEqual(1);
    expect(count(seen, overview) - asked).toBeLessThanOrEqual(2);

    // The page waits to be told, asking nothing for 6 s (a poll every 2 s would have asked three times).
    await page.locator('#overview[data-waiting="told"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => seen.open, { timeout: 15_000 }).toBe(0);
    const quiet = count(seen, overview);
    await page.waitForTimeout(6_000);
    expect(count(seen, overview)).toBe(quiet);
    await page.context().close();
  }, 60_000);

  it("streams a running build's log as it is told of more, and ends it when told the build ended", async () => {
    const logs = new DynamoBuildLogs({ client: p.api.client, tableName: p.api.tableName });
    const ref = { kind: 'Build', project: 'shop', name: 'web-1' };
    await p.api.store.create({ kind: 'Build', metadata: { name: 'web-1', project: 'shop' }, spec: {}, status: { phase: 'Running' } } as never);
    await logs.append(ref, 'Receiving source\n');
    const { page, seen } = await signedInPage();
    await page.goto(`${base}/console/p/shop/builds/web-1`);
    const log = page.locator('pre.log');
    await expect.poll(() => log.textContent(), { timeout: 15_000 }).toBe('Receiving source\n');
    await expect.poll(() => watching(seen, '/api/v1/projects/shop/builds/web-1/log') && watching(seen, '/api/v1/projects/shop/builds'), { timeout: 15_000 }).toBe(true);

    // Settled first: a late notice of the build's creation or first line may have set a read going,
    // which would otherwise be counted before and bring the next line after.
    await page.locator('pre.log[data-waiting="told"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => seen.open, { timeout: 15_000 }).toBe(0);
    const reads = () => seen.requests.filter((r) => r.startsWith('GET /console/p/shop/builds/web-1/log')).length;
    const before = reads();
    await logs.append(ref, 'Installing flask\n');
    await expect.poll(() => log.textContent(), { timeout: 15_000 }).toBe('Receiving source\nInstalling flask\n');
    // A read that brought text is followed by one more at once (there may be more than one read
    // gives); once that has come back empty, the page waits to be told.
    await page.locator('pre.log[data-waiting="told"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => seen.open, { timeout: 15_000 }).toBe(0);
    // Quiet for 5 s while the build runs: no read (asking every second would have read five times).
    const quiet = reads();
    await page.waitForTimeout(5_000);
    expect(reads()).toBe(quiet);
    await logs.append(ref, 'Push successful\n');
    const build = (await p.api.store.get(ref))!;
    await p.api.store.updateStatus({ ...build, status: { phase: 'Complete' } });
    await page.locator('pre.log[data-done="1"]').waitFor({ timeout: 15_000 });
    expect(await log.textContent()).toBe('Receiving source\nInstalling flask\nPush successful\n');
    await expect.poll(() => page.locator('#log-status').textContent()).toBe('Log complete.');
    // Two appends and the end: the lines came apart, so by two reads at least (a read that brought
    // text asks once more, and a notice that arrives while a read is under way is answered by the
    // read after it), and at most two for each.
    expect(reads() - before).toBeGreaterThanOrEqual(2);
    expect(reads() - before).toBeLessThanOrEqual(6);
    await page.context().close();
  }, 60_000);
});
