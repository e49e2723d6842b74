// A sample app on the real `npm run up`, for the idling e2e test and `npm run bench -- idle`:
// the prebuilt Python builder image serving a directory over HTTP (no build needed), as a
// DeploymentConfig with a Service and a Route, reached through the router on loopback.
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { ensureBuilderImages } from '../../images/build.ts';
import { startUp, upPorts, type UpPorts, type UpProcess } from '../support/up.ts';

/** What the sample app runs: a static HTTP server on 8080 (stdlib only). */
export const SAMPLE_COMMAND = ['python3', '-m', 'http.server', '8080', '--directory', '/tmp'];
export const ADMIN_PASSWORD = 'idle-admin-password';

/** The prebuilt image the sample app runs (built once from its recipe, then cached). */
export const sampleImage = (docker: Docker) => ensureBuilderImages(docker, { variant: 'test', log: () => undefined });

export interface Platform {
  up: UpProcess;
  ports: UpPorts;
  token: string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** Starts `npm run up` (no builder images) in `home` and signs the admin in. */
export async function startPlatform(home: string, env: Record<string, string> = {}): Promise<Platform> {
  const ports = await upPorts();
  const up = await startUp(home, ports, { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, PAAS_BUILDER_VARIANT: 'off', PAAS_HOST_LEASE_MS: '500', ...env });
  const login = await fetch(`${up.apiUrl}/api/v1/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
  const { token } = (await login.json()) as { token: string };
  const api: Platform['api'] = async (method, path, body) => {
    const res = await fetch(up.apiUrl + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  return { up, ports, token, api };
}

/** A GET through the router for `host` (status 0 when the connection failed). */
export function viaRouter(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(60_000, () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** Calls `fn` until `ok` holds for its answer; fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s; last: ${JSON.stringify(v).slice(0, 500)}`);
    await sleep(100);
  }
}

/** Creates the project and the sample app `name` in it; resolves with its route's host once it answers 200 through the router. */
export async function deploySample(p: Platform, project: string, name: string, image: string): Promise<string> {
  const ok = (r: { status: number; body: any }) => {
    if (r.status >= 300) throw new Error(`${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  ok(await p.api('POST', '/api/v1/projects', { metadata: { name: project } }));
  const base = `/api/v1/projects/${project}`;
  ok(await p.api('POST', `${base}/deploymentconfigs`, {
    metadata: { name },
    spec: { replicas: 1, selector: { app: name }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image, command: SAMPLE_COMMAND, ports: [{ containerPort: 8080 }] }] } } },
  }));
  ok(await p.api('POST', `${base}/services`, { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 8080 }] } }));
  ok(await p.api('POST', `${base}/routes`, { metadata: { name }, spec: { to: { name } } }));
  // Admission gives the route its default host.
  const route = await until(`route ${project}/${name} got no host`, () => p.api('GET', `${base}/routes/${name}`), (r) => Boolean(r.body?.spec?.host));
  const host = `${route.body.spec.host}:${p.ports.routerHttp}`;
  await until(`${project}/${name} did not answer through the router`, () => viaRouter(p.ports.routerHttp, host), (r) => r.status === 200);
  return host;
}

/** Resolves once the DC has no pod left (after it was idled). */
export async function podsGone(p: Platform, project: string, name: string): Promise<void> {
  await until(`the pods of ${project}/${name} did not stop`, () => p.api('GET', `/api/v1/projects/${project}/pods?labelSelector=app%3D${name}`), (r) => r.status === 200 && r.body.items.length === 0);
}

/**
 * What the platform holds for a project, for a failure's message: its DCs, RCs, pods, Services
 * (endpoints and marks) and events, and the last lines up printed.
 */
export async function explain(p: Platform, project: string): Promise<string> {
  const kinds = ['deploymentconfigs', 'replicationcontrollers', 'pods', 'services', 'events'];
  const lists = await Promise.all(kinds.map(async (k) => [k, (await p.api('GET', `/api/v1/projects/${project}/${k}`)).body?.items ?? []] as const));
  const brief = (o: any) => ({ name: o.metadata?.name, annotations: o.metadata?.annotations, deleting: o.metadata?.deletionTimestamp, spec: o.spec?.replicas, status: o.status, reason: o.reason, message: o.message, at: o.lastTimestamp ?? o.metadata?.creationTimestamp });
  const state = Object.fromEntries(lists.map(([k, items]) => [k, items.map(brief)]));
  return `${JSON.stringify(state, null, 1)}\n--- up (last lines) ---\n${p.up.output().split('\n').slice(-80).join('\n')}`;
}

/** Deletes the project and waits until it is gone (its containers and network with it). */
export async function removeProject(p: Platform, project: string): Promise<void> {
  await p.api('DELETE', `/api/v1/projects/${project}`);
  await until(`project ${project} was not removed`, () => p.api('GET', `/api/v1/projects/${project}`), (r) => r.status === 404);
}
