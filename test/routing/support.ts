// Helpers for router tests: small HTTP apps on 127.0.0.1, Services pointing at them, routes
// admitted by the admission reconciler, and requests sent to the router with a Host header.
import { request as httpRequest, createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { routeSpec } from '../../shared/model/route-kinds.ts';
import { routeAdmission } from '../../shared/routing/admission.ts';
import type { Route, Service } from '../../shared/model/objects.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';

export interface App {
  port: number;
  server: Server;
}

/** An HTTP server answering every request with `name`. */
export async function startApp(name: string): Promise<App> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

export async function stopApps(apps: App[]): Promise<void> {
  for (const a of apps) {
    a.server.closeAllConnections();
    await new Promise((resolve) => a.server.close(resolve));
  }
}

/** Creates (or keeps) a Service on port 8080 and sets its endpoints to the given host ports. */
export async function setService(store: ObjectStore, project: string, name: string, hostPorts: number[]): Promise<void> {
  const ref = { kind: 'Service', project, name };
  if (!(await store.get(ref))) await store.create({ kind: 'Service', metadata: { name, project }, spec: { selector: { app: name }, ports: [{ port: 8080, protocol: 'TCP' }] } });
  await patchStatus<Service>(store, ref, () => ({ endpoints: hostPorts.map((hp, i) => ({ pod: `${name}-${i}-${hp}`, host: 'local', ip: '127.0.0.1', ports: [{ port: 8080, hostPort: hp }] })) }));
}

/** Writes a route (created or replaced) and runs admission on it. */
export async function putRoute(store: ObjectStore, admission: ReturnType<typeof routeAdmission>, project: string, name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): Promise<Route> {
  const ref = { kind: 'Route', project, name };
  const parsed = routeSpec.parse(spec);
  const old = await store.get<Route>(ref);
  if (old) await store.update({ ...old, metadata: { ...old.metadata, annotations }, spec: parsed });
  else await store.create({ kind: 'Route', metadata: { name, project, annotations }, spec: parsed });
  await admission.reconcile(ref);
  return (await store.get<Route>(ref))!;
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request to the router on 127.0.0.1:port for `host` (no keep-alive). */
export function get(port: number, host: string, path = '/', tls?: { ca?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, path, method: 'GET', agent: false as const, headers: { host } };
    const done = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    };
    const req = tls
      ? httpsRequest({ ...opts, servername: host, ca: tls.ca, rejectUnauthorized: tls.ca !== undefined }, done)
      : httpRequest(opts, done);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `check` passes (generous deadline; no timed assertions). */
export async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await fn();
      if (check(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(last) ?? String(lastErr)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
