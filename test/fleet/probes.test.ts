// Probes against real sockets on 127.0.0.1: HTTP 2xx/3xx pass and other statuses fail with the
// status in the detail; a slow answer fails at the timeout; TCP passes only when something keeps
// the connection open; exec passes on exit 0, and says so where the host cannot exec.
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../shared/fleet/probes.ts';
import type { Probe } from '../../shared/model/deploy-kinds.ts';

const base = { initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 };
let http: Server;
let closer: TcpServer;
let httpPort = 0;
let closerPort = 0;
const target = (port: number) => ({ hostPorts: [{ containerPort: 8080, hostIp: '127.0.0.1', hostPort: port }] });

beforeAll(async () => {
  http = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3000);
    res.statusCode = req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : 503;
    res.end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as AddressInfo).port;
  // Accepts and closes at once, as an engine's port proxy does when nothing listens inside.
  closer = createTcpServer((s) => s.destroy());
  await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
  closerPort = (closer.address() as AddressInfo).port;
});

afterAll(() => {
  http.closeAllConnections();
  http.close();
  closer.close();
});

describe('runProbe', () => {
  it('httpGet: 2xx and 3xx pass, other statuses fail naming the status, a slow answer fails at the timeout', async () => {
    const get = (path: string): Probe => ({ ...base, httpGet: { path, port: 8080 } });
    expect(await runProbe(get('/ok'), target(httpPort))).toEqual({ ok: true });
    expect(await runProbe(get('/moved'), target(httpPort))).toEqual({ ok: true });
    expect(await runProbe(get('/down'), target(httpPort))).toEqual({ ok: false, detail: 'HTTP probe failed with statuscode: 503' });
    const slow = await runProbe(get('/slow'), target(httpPort));
    expect(slow.ok).toBe(false);
    expect(slow.detail).toContain(`http://127.0.0.1:${httpPort}/slow`);
  });

  it('tcpSocket: a listening server passes; a connection closed at once or refused fails', async () => {
    const tcp: Probe = { ...base, tcpSocket: { port: 8080 } };
    expect(await runProbe(tcp, target(httpPort))).toEqual({ ok: true });
    expect((await runProbe(tcp, target(closerPort))).ok).toBe(false);
    const free = createTcpServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    expect((await runProbe(tcp, target(port))).detail).toMatch(/ECONNREFUSED/);
  });

  it('exec: exit 0 passes, another exit code fails; without exec on the host it fails saying so', async () => {
    const probe: Probe = { ...base, exec: { command: ['check'] } };
    expect(await runProbe(probe, { ...target(httpPort), exec: async () => ({ exitCode: 0 }) })).toEqual({ ok: true });
    expect(await runProbe(probe, { ...target(httpPort), exec: async () => ({ exitCode: 2 }) })).toEqual({ ok: false, detail: 'command exited with 2' });
    expect((await runProbe(probe, target(httpPort))).detail).toContain('not supported');
  });
});
