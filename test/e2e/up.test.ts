// `npm run up` as a user runs it: first start prints the admin's credentials, Ctrl-C/SIGTERM
// stops every child process, and a restart keeps all data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portOpen } from '../../shared/local/ports.ts';
import { startUp, upPorts, type UpProcess } from '../support/up.ts';

const home = mkdtempSync(join(tmpdir(), 'berth-up-'));
let running: UpProcess | undefined;

afterAll(async () => {
  await running?.stop('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

async function api(url: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as any };
}

describe('npm run up', () => {
  it('starts, serves, stops its children on SIGTERM, and keeps data across a restart', async () => {
    const ports = await upPorts();
    running = await startUp(home, ports);
    const first = running.output();
    const m = /cluster administrator "admin" with password "([^"]+)"/.exec(first);
    expect(m, first).not.toBeNull();
    const password = m![1]!;
    expect(first).toContain(`API on http://127.0.0.1:${ports.api}`);

    const login = await api(running.apiUrl, 'POST', '/api/v1/login', undefined, { username: 'admin', password });
    expect(login.status).toBe(200);
    const token = login.body.token as string;
    // The API tells clients where the router answers, so that `berth expose` prints a URL that does.
    expect((await api(running.apiUrl, 'GET', '/api/v1/router', token)).body).toEqual({ httpPort: ports.routerHttp, httpsPort: ports.routerHttps });
    expect((await api(running.apiUrl, 'POST', '/api/v1/projects', token, { metadata: { name: 'kept' } })).status).toBe(201);
    expect((await api(running.apiUrl, 'POST', '/api/v1/projects/kept/configmaps', token, { metadata: { name: 'c' }, spec: { data: { x: 'y' } } })).status).toBe(201);

    expect(await running.stop('SIGTERM')).toBe(0);
    expect(await portOpen(ports.api)).toBe(false);
    expect(await portOpen(ports.dynamo)).toBe(false);

    running = await startUp(home, ports);
    expect(running.output()).not.toContain('first start');
    const again = await api(running.apiUrl, 'POST', '/api/v1/login', undefined, { username: 'admin', password });
    expect(again.status).toBe(200);
    const cm = await api(running.apiUrl, 'GET', '/api/v1/projects/kept/configmaps/c', again.body.token);
    expect(cm.status).toBe(200);
    expect(cm.body.spec).toEqual({ data: { x: 'y' } });
    // The token issued before the restart is still valid: tokens live in the table too.
    expect((await api(running.apiUrl, 'GET', '/api/v1/whoami', token)).body.name).toBe('admin');

    expect(await running.stop('SIGINT')).toBe(0);
    expect(await portOpen(ports.dynamo)).toBe(false);
    running = undefined;
  }, 240_000);

  it('stops quietly on a Ctrl-C to its terminal: nothing is reported as having died', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'berth-up-'));
    const ports = await upPorts();
    try {
      running = await startUp(fresh, ports, {}, { ownGroup: true });
      const code = await running.interrupt();
      const out = running.output();
      expect(code, out).toBe(0);
      expect(out).toContain('[berth] SIGINT: stopping');
      expect(out).toContain('[berth] stopped');
      expect(out).not.toMatch(/exited; starting it again|haproxy exited|exited: stopping/);
      expect(await portOpen(ports.routerHttp)).toBe(false);
      expect(await portOpen(ports.dynamo)).toBe(false);
    } finally {
      await running?.stop();
      running = undefined;
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 180_000);

  it('takes the admin password from BERTH_ADMIN_PASSWORD on first start', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'berth-up-'));
    try {
      running = await startUp(fresh, await upPorts(), { BERTH_ADMIN_PASSWORD: 'chosen-password' });
      expect(running.output()).toContain('password "chosen-password"');
      expect((await api(running.apiUrl, 'POST', '/api/v1/login', undefined, { username: 'admin', password: 'chosen-password' })).status).toBe(200);
    } finally {
      await running?.stop();
      running = undefined;
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 180_000);

  it('refuses to start when its port is taken, with a clear message', async () => {
    const ports = await upPorts();
    const blocker = (await import('node:net')).createServer().listen(ports.api, '127.0.0.1');
    try {
      await expect(startUp(home, ports)).rejects.toThrow(/port \d+ \(API\) is already in use/);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
