// The API Lambda entry point, called with API Gateway HTTP API (payload v2) events, against
// DynamoDB Local: the same app the local server serves.
import { beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../shared/auth/identity.ts';
import { ADDRESS_KIND } from '../../shared/services/cluster-ips.ts';
import { collect, eachObject } from '../../shared/store/each.ts';
import { objectTable } from '../../cli/columns.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { httpApiEvent, invoke, useTableForLambda, type HttpHandler } from '../support/lambda.ts';

let handler: HttpHandler;
/** The WebSocket API's URL as the stack gives it to the API function. */
const PUSH_URL = 'wss://abc123.execute-api.us-east-1.amazonaws.com/live';
let t: TestTable;

const event = (method: string, path: string, body?: unknown, token?: string) =>
  httpApiEvent(method, path, { headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
const call = (e: ReturnType<typeof event>) => invoke(handler, e);

beforeAll(async () => {
  t = await freshTable();
  await new Identity(t.store).bootstrapAdmin('lambda-admin-pw');
  useTableForLambda(t);
  process.env.BERTH_PUSH_URL = PUSH_URL;
  ({ handler } = (await import('../../functions/api/index.ts')) as unknown as { handler: HttpHandler });
});

describe('API Lambda handler', () => {
  it('answers healthz, login and a project create from API Gateway events', async () => {
    expect((await call(event('GET', '/healthz'))).body.status).toBe('ok');
    const login = await call(event('POST', '/api/v1/login', { username: 'admin', password: 'lambda-admin-pw' }));
    expect(login.status).toBe(200);
    const created = await call(event('POST', '/api/v1/projects', { metadata: { name: 'from-lambda' } }, login.body.token));
    expect(created.status).toBe(201);
    expect(created.body.metadata.name).toBe('from-lambda');
    const denied = await call(event('GET', '/api/v1/projects/from-lambda'));
    expect(denied.status).toBe(401);
  });

  it('answers a watch at once, naming the WebSocket API where the client can wait to be told of changes', async () => {
    const token = (await call(event('POST', '/api/v1/login', { username: 'admin', password: 'lambda-admin-pw' }))).body.token;
    expect((await call(event('POST', '/api/v1/projects', { metadata: { name: 'watched' } }, token))).status).toBe(201);
    const watch = async (query: string) => {
      const e = event('GET', '/api/v1/projects/watched/pods', undefined, token);
      e.rawQueryString = query;
      return (await handler(e, {} as never)) as { statusCode: number; body: string; headers?: Record<string, string> };
    };
    const first = await watch('watch=1');
    const cursor = JSON.parse(first.body).metadata.resourceVersion as string;
    // Nothing changes: a server that held watches would keep this one 25 s.
    const started = Date.now();
    const res = await watch(`watch=1&resourceVersion=${encodeURIComponent(cursor)}&timeoutSeconds=25`);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).items).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))['x-berth-push']).toBe(PUSH_URL);
  });

  it("hands out push tickets for the WebSocket API, and lets the console's pages connect to it (CSP connect-src), to it alone", async () => {
    const token = (await call(event('POST', '/api/v1/login', { username: 'admin', password: 'lambda-admin-pw' }))).body.token;
    const ticket = await call(event('POST', '/api/v1/push/tickets', undefined, token));
    expect(ticket.status).toBe(201);
    expect(ticket.body.url).toBe(`${PUSH_URL}?ticket=${ticket.body.ticket}`);
    const page = (await handler(httpApiEvent('GET', '/console/signin'), {} as never)) as { statusCode: number; headers?: Record<string, string> };
    expect(page.statusCode).toBe(200);
    const csp = Object.entries(page.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-security-policy')?.[1] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp.split('; ').filter((d) => d.startsWith('connect-src'))).toEqual(["connect-src 'self' wss://abc123.execute-api.us-east-1.amazonaws.com"]);
  });
});

// On AWS a Service is reached by its name (Cloud Map, the Service's proxy): the API allocates no
// cluster IP there and refuses one asked for, on create and on replace, writing nothing.
describe('Services through the API Lambda', () => {
  const PROJECT = 'svc-by-name';
  const service = (clusterIP?: string) => ({ metadata: { name: 'db' }, spec: { selector: { app: 'db' }, ports: [{ port: 5432 }], ...(clusterIP === undefined ? {} : { clusterIP }) } });
  let token = '';

  beforeAll(async () => {
    token = (await call(event('POST', '/api/v1/login', { username: 'admin', password: 'lambda-admin-pw' }))).body.token;
    expect((await call(event('POST', '/api/v1/projects', { metadata: { name: PROJECT } }, token))).status).toBe(201);
  });

  it('a Service asking for a cluster IP is 422 naming spec.clusterIP, and nothing is written', async () => {
    const res = await call(event('POST', `/api/v1/projects/${PROJECT}/services`, service('10.0.0.10'), token));
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([{ field: 'spec.clusterIP', message: expect.stringContaining('reached by name') }]);
    expect(res.body.message.split('\n')).toHaveLength(1);
    expect(await t.store.get({ kind: 'Service', project: PROJECT, name: 'db' })).toBeUndefined();
    const dry = await call(event('POST', `/api/v1/projects/${PROJECT}/services?dryRun=All`, service('10.0.0.10'), token));
    expect(dry.status).toBe(422);
  });

  it('a Service is made without a cluster IP and no address is claimed; get shows <none>', async () => {
    const res = await call(event('POST', `/api/v1/projects/${PROJECT}/services`, service(), token));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.spec.clusterIP).toBeUndefined();
    expect(await collect(eachObject(t.store, ADDRESS_KIND, PROJECT))).toEqual([]);
    const table = objectTable('Service', [res.body]).split('\n');
    expect(table[0]).toMatch(/^NAME\s+CLUSTER-IP\s+PORT\(S\)/);
    expect(table[1]).toMatch(/^db\s+<none>\s+5432\/TCP/);
  });

  it('a replace that adds a cluster IP is 422 naming spec.clusterIP; one without keeps none', async () => {
    const put = async (clusterIP?: string) => {
      const { resourceVersion } = (await t.store.get({ kind: 'Service', project: PROJECT, name: 'db' }))!.metadata;
      return call(event('PUT', `/api/v1/projects/${PROJECT}/services/db`, { ...service(clusterIP), metadata: { name: 'db', project: PROJECT, resourceVersion } }, token));
    };
    const refused = await put('10.0.0.11');
    expect(refused.status).toBe(422);
    expect(refused.body.details[0].field).toBe('spec.clusterIP');
    expect((await t.store.get<any>({ kind: 'Service', project: PROJECT, name: 'db' })).spec.clusterIP).toBeUndefined();
    const kept = await put('');
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body.spec.clusterIP || undefined).toBeUndefined();
  });
});
