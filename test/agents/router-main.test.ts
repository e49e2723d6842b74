// The router agent as the program router hosts run: from its environment it starts HAProxy and
// serves what the table holds (Berth's 503 page for unknown hosts), follows the routers' change
// feed (a route written later is served within moments, with no full listing for 10 minutes),
// stops on SIGTERM, and refuses to start with one clear line when a setting is missing.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { routeSpec } from '../../shared/model/route-kinds.ts';
import { RouterFeedTable, routerFeedWriter } from '../../shared/routing/feed.ts';
import { ROUTER_NAME } from '../../shared/routing/types.ts';
import { freePort } from '../../shared/local/ports.ts';
import { freshTable } from '../support/dynamo.ts';

const get = (port: number, host: string) =>
  new Promise<number>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });

describe('agents/router/main.ts', () => {
  it('serves from the table on the ports it is given, follows the change feed, and stops on SIGTERM', async () => {
    const t = await freshTable();
    const app = createServer((_req, res) => res.end('fed'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => void app.close());
    const [http, https] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'agents/router/main.ts'], {
      env: { ...process.env, TABLE_NAME: t.tableName, DYNAMODB_ENDPOINT: inject('dynamoEndpoint'), AWS_REGION: 'us-east-1', BERTH_APPS_DOMAIN: 'apps.localhost', PAAS_ROUTER_HTTP_PORT: String(http), PAAS_ROUTER_HTTPS_PORT: String(https === http ? https + 1 : https), BERTH_ROUTER_DIR: mkdtempSync(join(tmpdir(), 'berth-router-main-')), BERTH_ROUTER_BIND: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    for (const deadline = Date.now() + 60_000; !out.includes('router agent started'); await new Promise((r) => setTimeout(r, 200))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the router agent did not start:\n${out}`);
    }
    expect(await get(http, 'nobody.apps.localhost')).toBe(503);

    // A service and an admitted route written now, with their feed entries as the stream function writes them.
    await t.store.create({ kind: 'Project', metadata: { name: 'demo', project: '' }, spec: {} });
    await t.store.create({ kind: 'Service', metadata: { name: 'web', project: 'demo' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080, protocol: 'TCP' }] },
      status: { endpoints: [{ pod: 'web-1', host: 'local', ip: '127.0.0.1', ports: [{ port: 8080, hostPort: (app.address() as AddressInfo).port }] }] } });
    await t.store.create({ kind: 'Route', metadata: { name: 'web', project: 'demo' }, spec: routeSpec.parse({ host: 'fed.example.com', to: { name: 'web' } }),
      status: { ingress: [{ host: 'fed.example.com', routerName: ROUTER_NAME, wildcardPolicy: 'None', conditions: [{ type: 'Admitted', status: 'True' }] }] } });
    const writer = routerFeedWriter(new RouterFeedTable({ client: t.client, tableName: t.tableName }));
    await writer.reconcile({ kind: 'Service', project: 'demo', name: 'web' });
    await writer.reconcile({ kind: 'Route', project: 'demo', name: 'web' });
    let status = 0;
    for (const deadline = Date.now() + 10_000; status !== 200 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) status = await get(http, 'fed.example.com');
    expect(status).toBe(200);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 90_000);

  it('without TABLE_NAME exits 2 with one line', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, BERTH_APPS_DOMAIN: 'apps.localhost' };
    delete env.TABLE_NAME;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'agents/router/main.ts'], { env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('router agent: TABLE_NAME is not set: the router reads routes and endpoints from the state table');
  }, 30_000);
});
