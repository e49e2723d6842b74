// Test helpers: an API app over a fresh DynamoDB Local table, with a cluster-admin and a way to
// make users and sign them in.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../../shared/auth/identity.ts';
import { FileBuildLogs, FileSourceArchives } from '../../shared/builds/local-adapters.ts';
import { createApi } from '../../shared/api/app.ts';
import type { ApiDeps } from '../../shared/api/env.ts';
import { afterAll } from 'vitest';
import { freshTable, type TestTable } from './dynamo.ts';

export interface TestApi extends TestTable {
  app: ReturnType<typeof createApi>;
  identity: Identity;
  builds: { logs: FileBuildLogs; sources: FileSourceArchives };
  adminToken: string;
  /** Creates a user (password "password-<name>") and returns a bearer token for them. */
  user(name: string): Promise<string>;
  call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** The APIs' directories of build logs and sources, removed after the test file's last hook (registered first, run last). */
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `extra` adds to or replaces the app's dependencies (an apps domain, codecs). */
export async function testApi(extra: Partial<ApiDeps> = {}): Promise<TestApi> {
  const t = await freshTable();
  const identity = new Identity(t.store);
  const dir = mkdtempSync(join(tmpdir(), 'berth-api-'));
  dirs.push(dir);
  const builds = { logs: new FileBuildLogs(join(dir, 'logs')), sources: new FileSourceArchives(join(dir, 'sources')) };
  const app = createApi({ store: t.store, identity, builds, fleet: { containersFor: () => undefined }, ...extra });
  await identity.bootstrapAdmin('admin-password');
  const adminToken = (await identity.login('admin', 'admin-password')).token;
  const call: TestApi['call'] = async (method, path, token, body) => {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const res = await app.request(path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  };
  return {
    ...t,
    builds,
    app,
    identity,
    adminToken,
    call,
    async user(name) {
      await identity.createUser(name, `password-${name}`);
      return (await identity.login(name, `password-${name}`)).token;
    },
  };
}

/** Makes `project` as a new user `owner`, with a new user `viewer` bound to its `view` role; their tokens. */
export async function projectWithViewer(api: TestApi, project: string): Promise<{ owner: string; viewer: string }> {
  const owner = await api.user('owner');
  const viewer = await api.user('viewer');
  const made = await api.call('POST', '/api/v1/projects', owner, { metadata: { name: project }, spec: {} });
  if (made.status !== 201) throw new Error(`project ${project}: ${made.status} ${JSON.stringify(made.body)}`);
  const rb = await api.call('POST', `/api/v1/projects/${project}/rolebindings`, owner, { metadata: { name: 'viewers' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } });
  if (rb.status !== 201) throw new Error(`role binding: ${rb.status} ${JSON.stringify(rb.body)}`);
  return { owner, viewer };
}
